-- Run and experiment lists filtered by kind or status and read newest first (issue 19: `registry list runs --status
-- failed`, the experiments page's form). Model filters go through the lineage tables' own indexes.
CREATE INDEX runs_kind_created   ON runs (kind, created_at DESC);
CREATE INDEX runs_status_created ON runs (status, created_at DESC);
CREATE INDEX experiments_kind_created ON experiments (kind, created_at DESC);
-- dictionaries (training_run_id) is indexed by 0125. Experiments carry a status since 0120.
CREATE INDEX experiments_status_created ON experiments (status, created_at DESC);
CREATE INDEX activation_sets_extraction_run ON activation_sets (extraction_run_id) WHERE extraction_run_id IS NOT NULL;
