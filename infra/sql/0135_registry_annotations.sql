-- What a team writes about a registry row (issue 19): a description, tags, and whether it is archived (hidden from
-- lists, still shown by id and still a valid lineage parent). One row per annotated (kind, id); rows without one are
-- unannotated. Kind is the CLI's word for the table: model, activation, dictionary, run, experiment, artefact.
CREATE TABLE registry_annotations (
    kind        text        NOT NULL CHECK (kind IN ('model', 'activation', 'dictionary', 'run', 'experiment', 'artefact')),
    id          text        NOT NULL,
    description text        NOT NULL DEFAULT '' CHECK (length(description) <= 4000),
    tags        text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 64),
    archived_at timestamptz,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, id)
);
CREATE INDEX registry_annotations_tags ON registry_annotations USING gin (tags);
CREATE INDEX registry_annotations_archived ON registry_annotations (kind) WHERE archived_at IS NOT NULL;
