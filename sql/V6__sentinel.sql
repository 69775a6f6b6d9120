-- The sentinel: when a batch was given back (so an unclaimed one can be told from a fresh one),
-- how often the sentinel re-drove it, an audit of every self-heal, and the little state a pass
-- keeps between passes (its last pass, checks unknown in a row, the lost-events scan position).

-- Set whenever a batch enters 'uploaded': released after a failure, reset by an operator,
-- re-driven or registered by the sentinel. A batch 'uploaded' longer than the stale window was
-- not claimed by anyone.
ALTER TABLE intake.batches ADD COLUMN released_at timestamptz;
UPDATE intake.batches SET released_at = coalesce(heartbeat_at, created_at) WHERE status = 'uploaded';
-- Re-drives by the sentinel since the last operator re-ingest; at the limit it force-fails the batch.
ALTER TABLE intake.batches ADD COLUMN redrives integer NOT NULL DEFAULT 0 CHECK (redrives >= 0);

-- stuck_batches: unclaimed batches by the time they were given back.
CREATE INDEX batches_uploaded_by_released_at ON intake.batches (released_at) WHERE status = 'uploaded';
-- error_spike: decided batches by the time they finished.
CREATE INDEX batches_decided_by_finished_at
    ON intake.batches (finished_at)
    WHERE NOT dry_run AND status IN ('completed', 'failed', 'rolled_back');

-- One row per self-heal, never updated or pruned.
CREATE TABLE intake.sentinel_audit (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL,
    instance     text NOT NULL,
    check_name   text NOT NULL,
    -- what was healed: 'batch 42', 'object incoming/acme/x.csv', 'relation intake.judgments'
    subject      text NOT NULL,
    action       text NOT NULL,
    state_before text,
    state_after  text,
    detail       text
);
CREATE INDEX sentinel_audit_by_at ON intake.sentinel_audit (at);
-- a batch's earlier re-drives, named when the sentinel force-fails it
CREATE INDEX sentinel_audit_by_subject ON intake.sentinel_audit (check_name, subject, at);

-- Small named values a pass keeps for the next one: 'pass' (the last pass), 'streaks' (checks
-- unknown in a row), 'lost_events.position', 'schema_cache.reload.<symptom>'.
CREATE TABLE intake.sentinel_state (
    name       text PRIMARY KEY,
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);
