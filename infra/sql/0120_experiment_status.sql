-- Experiments carry their status and error (issue 19), so a failed experiment is visibly failed instead of looking like
-- an empty success. The Experiment grain writes them as it starts and settles (beside its analysis run, which has the
-- experiment's id).
ALTER TABLE experiments
    ADD COLUMN status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    ADD COLUMN error  text;

-- Experiments recorded before: the analysis run of the same id says how they ended; one without a run but with results
-- was recorded by hand (or by a test) and counts as succeeded.
UPDATE experiments e SET status = r.status, error = r.error FROM runs r WHERE r.id = e.id;
UPDATE experiments e SET status = 'succeeded'
WHERE e.status = 'pending' AND e.results <> '{}'::jsonb AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = e.id);

-- An experiment's analysis run belongs to it, so the experiment page lists it (it said "Runs (none)" for every one).
UPDATE runs r SET experiment_id = r.id
WHERE r.kind = 'analysis' AND r.experiment_id IS NULL AND EXISTS (SELECT 1 FROM experiments e WHERE e.id = r.id);
