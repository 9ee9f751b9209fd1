-- A feature index must exist in its dictionary (0 <= index < d_sae). A CHECK cannot look at another table,
-- so a row trigger does; it costs one primary-key lookup per feature row, which is cheap next to the upsert.
CREATE FUNCTION features_check_index() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    size integer;
BEGIN
    SELECT d_sae INTO size FROM dictionaries WHERE id = NEW.dictionary_id;
    -- An unknown dictionary is left to the foreign key, which names it.
    IF size IS NOT NULL AND NEW.feature_index >= size THEN
        RAISE EXCEPTION 'feature index % is out of range for dictionary % (d_sae %)', NEW.feature_index, NEW.dictionary_id, size
            USING ERRCODE = 'check_violation', CONSTRAINT = 'features_index_in_range', TABLE = 'features';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER features_index_in_range BEFORE INSERT OR UPDATE OF dictionary_id, feature_index ON features
    FOR EACH ROW EXECUTE FUNCTION features_check_index();
