-- Manual labels are people's words (issue 19): who wrote a label and who last changed it are kept on the row
-- (NULL for labels an analysis wrote), and every add, edit and delete of a manual label is kept in label_history
-- with its author and time, so a deleted label still says who removed it and what it said.
ALTER TABLE labels
    ADD COLUMN created_by text,
    ADD COLUMN updated_by text;

CREATE TABLE label_history (
    id            bigserial PRIMARY KEY,
    label_id      bigint      NOT NULL,
    dictionary_id text        NOT NULL,
    feature_index integer     NOT NULL,
    action        text        NOT NULL CHECK (action IN ('add', 'edit', 'delete')),
    old_label     text,
    new_label     text,
    old_score     double precision,
    new_score     double precision,
    author        text        NOT NULL CHECK (author <> ''),
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX label_history_feature ON label_history (dictionary_id, feature_index, at DESC);
