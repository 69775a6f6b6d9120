-- Leases on one clock, and a takeover that never waits on the worker it replaces (README "Timing").

-- The one clock every lease, heartbeat and time window of a batch is judged on: the database's,
-- read when the statement runs. clock_timestamp(), not now(): now() is when the transaction
-- began, and a load's transaction is as old as the load when it completes. offset_ms is 0
-- outside tests, which move time with it instead of waiting.
CREATE FUNCTION intake.lease_clock(offset_ms bigint) RETURNS timestamptz
    LANGUAGE sql VOLATILE PARALLEL SAFE
    AS $$ SELECT clock_timestamp() + offset_ms * interval '1 millisecond' $$;

-- The session that loads the batch's rows. A worker that takes the batch over ends that session
-- first: it is fenced anyway, and a worker frozen in the middle of a statement (a COPY waiting
-- for the rest of its rows, a partitioned network) keeps its backend active and its row locks
-- held, where the idle-in-transaction timeout never reaches it.
ALTER TABLE intake.batches ADD COLUMN load_pid integer;
ALTER TABLE intake.batches ADD COLUMN load_backend_start timestamptz;
