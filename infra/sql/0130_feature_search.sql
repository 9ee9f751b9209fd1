-- Feature search (issue 19): the dictionary page filters, sorts and pages a dictionary's features in PostgreSQL
-- instead of loading every stats row into the web server. The values the table filters and sorts on are lifted out
-- of features.stats into stored generated columns (read leniently, like the web's FeatureSummary: a value of the
-- wrong type is NULL, never an error), the best label is kept on the feature row by a trigger on labels, and label
-- text is indexed by trigrams for substring search. pg_trgm ships in Debian's postgresql-15 package and is a
-- trusted extension, so the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- A JSON number as float8, else NULL (strings, arrays, and numbers beyond float8's range alike).
CREATE FUNCTION registry_jsonb_float(j jsonb) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(j) = 'number' AND abs((j #>> '{}')::numeric) < 1e300 THEN (j #>> '{}')::double precision END
$$;

-- A non-blank JSON string, else NULL.
CREATE FUNCTION registry_jsonb_text(j jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(j) = 'string' AND btrim(j #>> '{}') <> '' THEN j #>> '{}' END
$$;

ALTER TABLE features
    ADD COLUMN concept        text             GENERATED ALWAYS AS (registry_jsonb_text(stats #> '{ground_truth,concept}')) STORED,
    ADD COLUMN auroc          double precision GENERATED ALWAYS AS (registry_jsonb_float(stats #> '{ground_truth,auroc}')) STORED,
    ADD COLUMN density        double precision GENERATED ALWAYS AS (registry_jsonb_float(stats -> 'density')) STORED,
    ADD COLUMN max_activation double precision GENERATED ALWAYS AS (registry_jsonb_float(stats -> 'max_activation')) STORED,
    ADD COLUMN steering_delta double precision GENERATED ALWAYS AS (registry_jsonb_float(stats #> '{steering,delta_prob}')) STORED,
    ADD COLUMN steerable      boolean          GENERATED ALWAYS AS (CASE WHEN jsonb_typeof(stats #> '{steering,steerable}') = 'boolean'
                                                                         THEN (stats #>> '{steering,steerable}')::boolean END) STORED,
    -- A dashboard is the top-examples picture (what the report and the feature page show first).
    ADD COLUMN has_dashboard  boolean          NOT NULL GENERATED ALWAYS AS (coalesce((stats #>> '{images,top_examples}') ~ '^[0-9a-f]{64}$', false)) STORED,
    -- The first free label in the stats: the table's label when no labels row exists.
    ADD COLUMN top_free_label text             GENERATED ALWAYS AS (registry_jsonb_text(stats #> '{free_labels,0,label}')) STORED,
    -- The label the table shows and its method, kept by labels_best_label below.
    ADD COLUMN best_label        text,
    ADD COLUMN best_label_method text;

-- The order a person trusts label methods in (scores are not comparable across methods, so a method's best label
-- only competes with labels of the same method). The web's FeatureSummary uses the same order.
CREATE FUNCTION registry_label_rank(method text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE method WHEN 'manual' THEN 0 WHEN 'steering' THEN 1 WHEN 'free-label' THEN 2 WHEN 'auto-interp' THEN 3
                       WHEN 'ground-truth' THEN 4 ELSE 5 END
$$;

-- Recomputes the best label of the given features (parallel arrays of dictionary ids and feature indexes).
CREATE FUNCTION registry_refresh_best_labels(dictionaries text[], indexes integer[]) RETURNS void LANGUAGE sql AS $$
    UPDATE features f SET best_label = b.label, best_label_method = b.method
    FROM (SELECT t.dictionary_id, t.feature_index, best.label, best.method
          FROM (SELECT DISTINCT d AS dictionary_id, i AS feature_index FROM unnest(dictionaries, indexes) AS u(d, i)) t
          LEFT JOIN LATERAL (SELECT l.label, l.method FROM labels l
                             WHERE l.dictionary_id = t.dictionary_id AND l.feature_index = t.feature_index
                             ORDER BY registry_label_rank(l.method), l.score DESC, l.label LIMIT 1) best ON true) b
    WHERE f.dictionary_id = b.dictionary_id AND f.feature_index = b.feature_index
      AND (f.best_label IS DISTINCT FROM b.label OR f.best_label_method IS DISTINCT FROM b.method)
$$;

-- Statement level, so a batch of 65,536 labels refreshes its features in one pass. A branch only names the
-- transition tables its event has.
CREATE FUNCTION labels_refresh_best() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM registry_refresh_best_labels(array_agg(dictionary_id), array_agg(feature_index)) FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM registry_refresh_best_labels(array_agg(dictionary_id), array_agg(feature_index)) FROM old_rows;
    ELSE
        PERFORM registry_refresh_best_labels(array_agg(dictionary_id), array_agg(feature_index))
        FROM (SELECT dictionary_id, feature_index FROM new_rows UNION SELECT dictionary_id, feature_index FROM old_rows) t;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER labels_best_after_insert AFTER INSERT ON labels REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION labels_refresh_best();
CREATE TRIGGER labels_best_after_update AFTER UPDATE ON labels REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION labels_refresh_best();
CREATE TRIGGER labels_best_after_delete AFTER DELETE ON labels REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION labels_refresh_best();

-- Labels already stored get their feature's best label once.
UPDATE features f SET best_label = b.label, best_label_method = b.method
FROM (SELECT DISTINCT ON (dictionary_id, feature_index) dictionary_id, feature_index, label, method FROM labels
      ORDER BY dictionary_id, feature_index, registry_label_rank(method), score DESC, label) b
WHERE f.dictionary_id = b.dictionary_id AND f.feature_index = b.feature_index;

-- Sort keys of the feature table, within one dictionary, in the exact order the query asks for (key, NULLS LAST,
-- then the index as tie-break), both directions: a page is then an index range, not a sort of every feature.
CREATE INDEX features_auroc_asc     ON features (dictionary_id, auroc ASC NULLS LAST, feature_index);
CREATE INDEX features_auroc_desc    ON features (dictionary_id, auroc DESC NULLS LAST, feature_index);
CREATE INDEX features_density_asc   ON features (dictionary_id, density ASC NULLS LAST, feature_index);
CREATE INDEX features_density_desc  ON features (dictionary_id, density DESC NULLS LAST, feature_index);
CREATE INDEX features_max_asc       ON features (dictionary_id, max_activation ASC NULLS LAST, feature_index);
CREATE INDEX features_max_desc      ON features (dictionary_id, max_activation DESC NULLS LAST, feature_index);
CREATE INDEX features_steering_asc  ON features (dictionary_id, steering_delta ASC NULLS LAST, feature_index);
CREATE INDEX features_steering_desc ON features (dictionary_id, steering_delta DESC NULLS LAST, feature_index);
CREATE INDEX features_concept_asc   ON features (dictionary_id, lower(concept) ASC NULLS LAST, feature_index);
CREATE INDEX features_concept_desc  ON features (dictionary_id, lower(concept) DESC NULLS LAST, feature_index);
CREATE INDEX features_label_asc     ON features (dictionary_id, lower(coalesce(best_label, top_free_label)) ASC NULLS LAST, feature_index);
CREATE INDEX features_label_desc    ON features (dictionary_id, lower(coalesce(best_label, top_free_label)) DESC NULLS LAST, feature_index);
-- The flags filter few features in (steerable, a dashboard): partial indexes find them without reading the rest.
CREATE INDEX features_steerable ON features (dictionary_id, feature_index) WHERE steerable;
CREATE INDEX features_dashboard ON features (dictionary_id, feature_index) WHERE has_dashboard;
-- Substring search ("red" finds "dark red things") on label text and concepts.
CREATE INDEX labels_text_trgm   ON labels USING gin (label gin_trgm_ops);
CREATE INDEX features_concept_trgm ON features USING gin (concept gin_trgm_ops);
-- "Features with a label of this method" (the method filter) reads the method's labels, not every feature's.
CREATE INDEX labels_method ON labels (dictionary_id, method, feature_index);
