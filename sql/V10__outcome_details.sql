-- What a batch's outcome carries beyond its counts, kept so that an outcome delivered by a retry
-- (a redelivery or re-drive after a failure past the commit) equals the one the first run built:
-- the vendor's columns the source profile ignored, and the run's measured duration. Written with
-- the verdict; NULL on batches decided before this migration (their retried outcome lists no
-- ignored columns and takes its duration from started_at and finished_at).
ALTER TABLE intake.batches ADD COLUMN ignored_columns text[];
ALTER TABLE intake.batches ADD COLUMN duration_ms bigint;
