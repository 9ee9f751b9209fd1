-- Registry: who may do what (projects, users, API tokens) and what exists (artefacts, models, activation sets,
-- dictionaries, runs and their metrics, experiments, features and their labels).
-- Ids are short text chosen by the platform (e.g. 'run-3f9c...') so that grain keys, CLI arguments and rows agree.
-- Text enumerations are CHECKed here so that any writer, not only this codebase, keeps them valid.

CREATE TABLE projects (
    id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- Everything belongs to a project; single-team installs simply use this one.
INSERT INTO projects (id, name, description) VALUES ('default', 'default', 'created by the registry migration');

CREATE TABLE users (
    id           text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$'),
    display_name text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- A token is 'mmi_<id>_<secret>'. Only sha256(secret) is stored: the secret is 32 random bytes, so a fast hash is
-- enough (no password-style stretching needed) and a stolen table grants nothing.
CREATE TABLE api_tokens (
    id           text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{8,32}$'),
    user_id      text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    project_id   text        NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    secret_hash  bytea       NOT NULL CHECK (length(secret_hash) = 32),
    scopes       text[]      NOT NULL CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['read', 'write', 'admin']::text[]),
    description  text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Content-addressed files of the artefact store; other rows point here so that nothing names bytes we never stored.
CREATE TABLE artefacts (
    sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size       bigint      NOT NULL CHECK (size >= 0),
    kind       text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9._-]{0,63}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX artefacts_kind ON artefacts (kind, created_at DESC);

CREATE TABLE experiments (
    id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
    project_id  text        NOT NULL REFERENCES projects (id),
    name        text        NOT NULL,
    kind        text        NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_-]{0,63}$'),
    description text        NOT NULL DEFAULT '',
    config      jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(config) = 'object'),
    results     jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(results) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX experiments_project ON experiments (project_id, created_at DESC);

-- Training runs and jobs (SAE training, model training, extraction, sweeps, analyses).
CREATE TABLE runs (
    id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
    project_id    text             NOT NULL REFERENCES projects (id),
    kind          text             NOT NULL CHECK (kind IN ('sae_training', 'model_training', 'extraction', 'sweep', 'analysis')),
    status        text             NOT NULL DEFAULT 'pending'
                                   CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    progress      double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
    step          bigint           NOT NULL DEFAULT 0 CHECK (step >= 0),
    total_steps   bigint           CHECK (total_steps >= 0),
    config        jsonb            NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(config) = 'object'),
    error         text,
    parent_run_id text             REFERENCES runs (id),
    experiment_id text             REFERENCES experiments (id),
    created_at    timestamptz      NOT NULL DEFAULT now(),
    updated_at    timestamptz      NOT NULL DEFAULT now(),
    started_at    timestamptz,
    finished_at   timestamptz,
    CHECK ((status IN ('succeeded', 'failed', 'cancelled')) = (finished_at IS NOT NULL))
);
CREATE INDEX runs_project ON runs (project_id, created_at DESC);
CREATE INDEX runs_active ON runs (status) WHERE status IN ('pending', 'running');
CREATE INDEX runs_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX runs_experiment ON runs (experiment_id) WHERE experiment_id IS NOT NULL;

-- One row per (run, metric, step). No primary key, so COPY appends at full speed; a resumed run first deletes the
-- points after its checkpoint step rather than relying on a uniqueness check here.
CREATE TABLE metric_points (
    run_id      text             NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name        text             NOT NULL,
    step        bigint           NOT NULL CHECK (step >= 0),
    value       double precision NOT NULL,
    recorded_at timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX metric_points_series ON metric_points (run_id, name, step);

CREATE TABLE models (
    id                text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
    project_id        text        NOT NULL REFERENCES projects (id),
    name              text        NOT NULL,
    family            text        NOT NULL CHECK (family IN ('clip', 'vlm', 'diffusion', 'other')),
    spec              jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(spec) = 'object'),
    checkpoint_sha256 text        REFERENCES artefacts (sha256),
    training_run_id   text        REFERENCES runs (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, name)
);

CREATE TABLE activation_sets (
    id                text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
    project_id        text        NOT NULL REFERENCES projects (id),
    model_id          text        NOT NULL REFERENCES models (id),
    hook_points       text[]      NOT NULL CHECK (cardinality(hook_points) > 0),
    dataset_spec      jsonb       NOT NULL CHECK (jsonb_typeof(dataset_spec) = 'object'),
    shard_count       integer     NOT NULL CHECK (shard_count > 0),
    row_count         bigint      NOT NULL CHECK (row_count >= 0),
    index_sha256      text        NOT NULL REFERENCES artefacts (sha256),
    extraction_run_id text        REFERENCES runs (id),
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activation_sets_model ON activation_sets (model_id);
CREATE INDEX activation_sets_project ON activation_sets (project_id, created_at DESC);

-- Sparse autoencoders with their lineage.
CREATE TABLE dictionaries (
    id                text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
    project_id        text        NOT NULL REFERENCES projects (id),
    model_id          text        NOT NULL REFERENCES models (id),
    hook_point        text        NOT NULL,
    activation_set_id text        REFERENCES activation_sets (id),
    training_run_id   text        REFERENCES runs (id),
    architecture      text        NOT NULL CHECK (architecture IN ('relu', 'topk', 'batchtopk', 'jumprelu')),
    d_in              integer     NOT NULL CHECK (d_in > 0),
    d_sae             integer     NOT NULL CHECK (d_sae > 0),
    config            jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(config) = 'object'),
    metrics           jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metrics) = 'object'),
    checkpoint_sha256 text        NOT NULL REFERENCES artefacts (sha256),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dictionaries_model_hook ON dictionaries (model_id, hook_point);
CREATE INDEX dictionaries_project ON dictionaries (project_id, created_at DESC);
CREATE INDEX dictionaries_activation_set ON dictionaries (activation_set_id) WHERE activation_set_id IS NOT NULL;

CREATE TABLE features (
    dictionary_id text        NOT NULL REFERENCES dictionaries (id) ON DELETE CASCADE,
    feature_index integer     NOT NULL CHECK (feature_index >= 0),
    stats         jsonb       NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(stats) = 'object'),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dictionary_id, feature_index)
);

-- Names for features and how they were obtained; several methods (and candidates) per feature, each scored.
CREATE TABLE labels (
    id            bigserial PRIMARY KEY,
    dictionary_id text             NOT NULL,
    feature_index integer          NOT NULL,
    label         text             NOT NULL CHECK (label <> ''),
    score         double precision NOT NULL,
    method        text             NOT NULL CHECK (method IN ('free-label', 'steering', 'ground-truth', 'manual', 'auto-interp')),
    experiment_id text             REFERENCES experiments (id),
    created_at    timestamptz      NOT NULL DEFAULT now(),
    updated_at    timestamptz      NOT NULL DEFAULT now(),
    FOREIGN KEY (dictionary_id, feature_index) REFERENCES features (dictionary_id, feature_index) ON DELETE CASCADE,
    UNIQUE (dictionary_id, feature_index, method, label)
);
CREATE INDEX labels_text ON labels (lower(label) text_pattern_ops);
