-- User image datasets (issue 15): a folder, an imagefolder class tree, a csv/jsonl listing or Hugging Face parquet
-- files, stored in the artefact store as one manifest (its hash is the dataset's content hash: relative paths and
-- content hashes of every file read), so every silo reads the same bytes. The id derives from that hash, so the
-- same content registers once.
CREATE TABLE datasets (
    id             text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$'),
    project_id     text        NOT NULL REFERENCES projects (id),
    name           text        NOT NULL CHECK (name <> ''),
    kind           text        NOT NULL CHECK (kind IN ('images', 'imagefolder', 'jsonl', 'csv', 'parquet')),
    source         text        NOT NULL,
    content_sha256 text        NOT NULL REFERENCES artefacts (sha256),
    item_count     integer     NOT NULL CHECK (item_count > 0),
    byte_count     bigint      NOT NULL CHECK (byte_count >= 0),
    label_names    text[]      NOT NULL DEFAULT '{}',
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, name),
    UNIQUE (project_id, content_sha256)
);
