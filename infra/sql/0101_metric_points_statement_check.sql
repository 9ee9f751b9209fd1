-- Bulk metric appends: a per-row foreign-key check made COPY into metric_points 2-3x slower. One check per
-- statement over the new rows (a transition table) keeps the rule "points belong to a registered run" at a
-- fraction of the cost. Runs are never deleted by the platform; if an operator deletes one, its points go too.
ALTER TABLE metric_points DROP CONSTRAINT metric_points_run_id_fkey;

CREATE FUNCTION metric_points_check_runs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    SELECT n.run_id INTO missing
    FROM (SELECT DISTINCT run_id FROM new_points) n
    WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = n.run_id)
    LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert on table "metric_points" refers to a run that is not registered'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (run_id)=(%s) is not present in table "runs".', missing),
                  TABLE = 'metric_points';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER metric_points_runs_exist AFTER INSERT ON metric_points
    REFERENCING NEW TABLE AS new_points
    FOR EACH STATEMENT EXECUTE FUNCTION metric_points_check_runs();

CREATE FUNCTION runs_delete_metric_points() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM metric_points m USING old_runs o WHERE m.run_id = o.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER runs_cascade_metric_points AFTER DELETE ON runs
    REFERENCING OLD TABLE AS old_runs
    FOR EACH STATEMENT EXECUTE FUNCTION runs_delete_metric_points();
