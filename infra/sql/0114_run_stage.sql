-- What a running job says it is doing ("step 300/1200 loss 1.234", "evaluating"), beside its step and progress, for
-- `mminterp status`. Zoo builds write it (issue 16); other kinds leave it null.
ALTER TABLE runs ADD COLUMN stage text CHECK (length(stage) <= 200);
