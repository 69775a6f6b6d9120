-- Delivery guarantees: one batch row holds each object's claim slot whatever its verdict, the
-- batch row records which parts of its outcome were delivered (an outbox), and a later batch
-- that re-sends rows unchanged is remembered, so rollback knows it delivered them.

-- A redelivered event of an object already decided is recorded as a row of its own (status
-- duplicate, naming the batch that holds the object). Only those rows stay out of the claim
-- slot: a content duplicate now keeps its object's slot, so its redeliveries are answered from
-- the row instead of re-reading the file.
ALTER TABLE intake.batches ADD COLUMN redelivery boolean NOT NULL DEFAULT false;
ALTER TABLE intake.batches ADD CONSTRAINT redelivery_is_duplicate CHECK (NOT redelivery OR status = 'duplicate');

-- Rows recorded before this migration: a duplicate row is a redelivery when its object is also
-- held by a row that is not a duplicate, or by an earlier row.
UPDATE intake.batches d SET redelivery = true
WHERE d.status = 'duplicate' AND NOT d.dry_run
  AND EXISTS (SELECT 1 FROM intake.batches o
              WHERE o.source = d.source AND o.object_key = d.object_key AND o.object_version = d.object_version
                AND NOT o.dry_run AND o.id <> d.id AND (o.status <> 'duplicate' OR o.id < d.id));

DROP INDEX intake.batches_one_per_object;
CREATE UNIQUE INDEX batches_one_per_object
    ON intake.batches (source, object_key, object_version)
    WHERE NOT dry_run AND NOT redelivery;

-- The outbox: a decided batch's results (errors CSV, then summary) and its one outcome event
-- (with its metrics). A retry delivers what is missing; a delivered part is never sent again.
ALTER TABLE intake.batches ADD COLUMN results_written_at timestamptz;
ALTER TABLE intake.batches ADD COLUMN event_published_at timestamptz;

-- Rollback's "did a later batch deliver this batch's rows?": the rows a batch delivered again
-- unchanged, counted per batch that had written them. One row per pair of batches, not one per
-- judgment: a daily snapshot re-sent with few changes would otherwise copy itself into history.
CREATE TABLE intake.batch_redeliveries (
    batch_id          bigint NOT NULL REFERENCES intake.batches (id),
    previous_batch_id bigint NOT NULL,
    rows              bigint NOT NULL CHECK (rows > 0),
    -- set when batch_id is rolled back: it no longer counts as having delivered them
    reverted_at       timestamptz,
    PRIMARY KEY (batch_id, previous_batch_id)
);
CREATE INDEX batch_redeliveries_by_previous_batch
    ON intake.batch_redeliveries (previous_batch_id) WHERE reverted_at IS NULL;
