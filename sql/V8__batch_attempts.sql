-- Every attempt of a batch keeps who asked for it, why, when, and how it ended. Before this, an
-- operator's re-ingest reason lived only in last_error (cleared by the successful run) and the
-- earlier rejection_reason was overwritten by the next attempt.

-- Who gave the batch back to 'uploaded' last: 'operator <user>', 'sentinel <instance>', 'worker'.
ALTER TABLE intake.batches ADD COLUMN released_by text;

CREATE TABLE intake.batch_attempts (
    -- cleanup deletes old dry runs: their attempts go with them
    batch_id     bigint NOT NULL REFERENCES intake.batches (id) ON DELETE CASCADE,
    attempt      integer NOT NULL,
    -- when and by whom it was asked for: the upload, a release after a failure, an operator's
    -- re-ingest, the sentinel's re-drive, or a worker taking over a silent one
    requested_at timestamptz NOT NULL,
    requested_by text NOT NULL,
    reason       text,
    started_at   timestamptz,
    finished_at  timestamptz,
    -- completed, failed, duplicate, rolled_back, given back (released for another attempt),
    -- abandoned (its worker went silent and another took over); null while it runs
    outcome      text,
    -- the rejection reason or error it ended with
    detail       text,
    PRIMARY KEY (batch_id, attempt)
);

-- Kept by a trigger, so that every path that starts, gives back or decides an attempt (the
-- pipeline, the operator's commands, the sentinel's heals) records it the same way. It fires
-- only on statements that set status or attempt: a heartbeat does not.
CREATE FUNCTION intake.record_batch_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.status = 'uploaded' THEN
        -- registered to be claimed (a lost S3 event): the claim that runs it is the next attempt
        INSERT INTO intake.batch_attempts (batch_id, attempt, requested_at, requested_by, reason)
        VALUES (NEW.id, NEW.attempt + 1, coalesce(NEW.released_at, now()), coalesce(NEW.released_by, 'upload'), NEW.last_error)
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO intake.batch_attempts (batch_id, attempt, requested_at, requested_by, reason, started_at,
                                           finished_at, outcome, detail)
        VALUES (NEW.id, NEW.attempt, NEW.created_at, coalesce(NEW.released_by, 'upload'), NULL,
                CASE WHEN NEW.status IN ('staging', 'validating', 'inserting') THEN NEW.started_at END,
                CASE WHEN NEW.status IN ('completed', 'failed', 'duplicate') THEN coalesce(NEW.finished_at, now()) END,
                CASE WHEN NEW.status IN ('completed', 'failed', 'duplicate') THEN NEW.status END,
                NEW.rejection_reason)
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END IF;

    IF NEW.status = 'uploaded' AND OLD.status <> 'uploaded' THEN
        -- given back: the running attempt ends here, and the next one is asked for
        UPDATE intake.batch_attempts SET finished_at = now(), outcome = 'given back', detail = NEW.last_error
         WHERE batch_id = NEW.id AND attempt = OLD.attempt AND outcome IS NULL;
        INSERT INTO intake.batch_attempts (batch_id, attempt, requested_at, requested_by, reason)
        VALUES (NEW.id, NEW.attempt + 1, coalesce(NEW.released_at, now()), coalesce(NEW.released_by, 'worker'), NEW.last_error)
        ON CONFLICT (batch_id, attempt) DO UPDATE
            SET requested_at = excluded.requested_at, requested_by = excluded.requested_by, reason = excluded.reason;
    END IF;

    IF NEW.attempt > OLD.attempt THEN
        -- claimed as a new attempt; without a request first, a worker took over a silent one
        UPDATE intake.batch_attempts SET finished_at = now(), outcome = 'abandoned'
         WHERE batch_id = NEW.id AND attempt < NEW.attempt AND outcome IS NULL;
        INSERT INTO intake.batch_attempts (batch_id, attempt, requested_at, requested_by, started_at)
        VALUES (NEW.id, NEW.attempt, now(), 'takeover of a silent worker', NEW.started_at)
        ON CONFLICT (batch_id, attempt) DO UPDATE SET started_at = excluded.started_at;
    END IF;

    IF NEW.status IN ('completed', 'failed', 'duplicate', 'rolled_back') AND NEW.status IS DISTINCT FROM OLD.status THEN
        UPDATE intake.batch_attempts
           SET finished_at = CASE WHEN NEW.status = 'rolled_back' THEN finished_at ELSE coalesce(NEW.finished_at, now()) END,
               outcome = NEW.status,
               detail = CASE WHEN NEW.status = 'rolled_back' THEN NEW.rollback_reason
                             ELSE coalesce(NEW.rejection_reason, detail) END
         WHERE batch_id = NEW.id AND attempt = NEW.attempt;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER batches_record_attempts_insert AFTER INSERT ON intake.batches
    FOR EACH ROW EXECUTE FUNCTION intake.record_batch_attempt();
CREATE TRIGGER batches_record_attempts_update AFTER UPDATE OF status, attempt ON intake.batches
    FOR EACH ROW EXECUTE FUNCTION intake.record_batch_attempt();

-- Batches that exist already get their current attempt, as far as it is known.
INSERT INTO intake.batch_attempts (batch_id, attempt, requested_at, requested_by, reason, started_at, finished_at, outcome, detail)
SELECT id, attempt, created_at, CASE WHEN attempt = 1 THEN 'upload' ELSE 'unknown (before attempts were recorded)' END,
       NULL, started_at, finished_at,
       CASE WHEN status IN ('completed', 'failed', 'duplicate', 'rolled_back') THEN status END,
       coalesce(rejection_reason, last_error)
  FROM intake.batches;
