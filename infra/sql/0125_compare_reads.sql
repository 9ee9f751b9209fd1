-- The compare lists (issue 19) sort and filter runs and dictionaries in SQL on fields of their configs. A run's config
-- holds the SAE and training configs as JSON text inside JSON (TrainingRunSpec.SaeConfigJson), and any field may be
-- missing or of another type in old rows, so both helpers read a bad value as NULL instead of failing the whole list.
CREATE FUNCTION mminterp_jsonb_or_null(t text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN t::jsonb;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

CREATE FUNCTION mminterp_number_or_null(v jsonb) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN v::double precision END
$$;

-- A run's page and the runs list name the dictionary a training run registered.
CREATE INDEX dictionaries_training_run ON dictionaries (training_run_id) WHERE training_run_id IS NOT NULL;
