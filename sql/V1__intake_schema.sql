-- Intake schema: source profiles, batches and their row errors.

-- A source profile is configuration, not code: how one vendor's files map onto a dataset.
CREATE TABLE intake.source_profiles (
    name                    text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    dataset                 text NOT NULL CHECK (dataset IN ('judgments')),
    -- lower-cased vendor header -> canonical column name
    header_aliases          jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- extra java.time patterns accepted for dates, tried after ISO yyyy-MM-dd
    date_formats            text[] NOT NULL DEFAULT '{}',
    error_threshold_percent numeric(5, 2) NOT NULL DEFAULT 10
                            CHECK (error_threshold_percent BETWEEN 0 AND 100),
    -- guards against abuse, not against big files
    max_file_bytes          bigint NOT NULL DEFAULT 10737418240 CHECK (max_file_bytes > 0),
    max_rows                bigint NOT NULL DEFAULT 100000000 CHECK (max_rows > 0),
    created_at              timestamptz NOT NULL DEFAULT now()
);

INSERT INTO intake.source_profiles (name, dataset) VALUES ('judgments', 'judgments');

CREATE TABLE intake.batches (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source                  text NOT NULL REFERENCES intake.source_profiles (name),
    object_key              text NOT NULL,
    -- S3 version id or ETag; size and mtime for a local file
    object_version          text NOT NULL,
    status                  text NOT NULL CHECK (status IN
                            ('uploaded', 'staging', 'validating', 'inserting',
                             'completed', 'failed', 'rolled_back', 'duplicate')),
    dry_run                 boolean NOT NULL DEFAULT false,
    attempt                 integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
    -- the live claim: every write after the claim names this token
    owner_token             uuid,
    heartbeat_at            timestamptz,
    content_sha256          text CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
    bytes_read              bigint,
    error_threshold_percent numeric(5, 2) NOT NULL
                            CHECK (error_threshold_percent BETWEEN 0 AND 100),
    rows_total              bigint,
    rows_valid              bigint,
    rows_invalid            bigint,
    rows_inserted           bigint,
    rows_updated            bigint,
    rows_unchanged          bigint,
    rejection_reason        text,
    duplicate_of            bigint REFERENCES intake.batches (id),
    -- why the last attempt gave the batch back (database or I/O trouble, not the file's fault)
    last_error              text,
    rollback_reason         text,
    created_at              timestamptz NOT NULL DEFAULT now(),
    started_at              timestamptz,
    finished_at             timestamptz,
    rolled_back_at          timestamptz,
    CONSTRAINT duplicate_names_original CHECK ((status = 'duplicate') = (duplicate_of IS NOT NULL)),
    CONSTRAINT counts_reconcile CHECK (
        status <> 'completed' OR dry_run OR (
            rows_total = rows_valid + rows_invalid
            AND rows_valid = rows_inserted + rows_updated + rows_unchanged))
);

-- One batch per object version: the claim is an INSERT that this index arbitrates.
CREATE UNIQUE INDEX batches_one_per_object
    ON intake.batches (source, object_key, object_version)
    WHERE status <> 'duplicate' AND NOT dry_run;
-- The sentinel's stuck-batch query: in-flight batches by heartbeat.
CREATE INDEX batches_in_flight_by_heartbeat
    ON intake.batches (heartbeat_at)
    WHERE status IN ('staging', 'validating', 'inserting');
-- Recent batches by time (error-spike window, batch list).
CREATE INDEX batches_by_created_at ON intake.batches (created_at);
-- Same content under another name.
CREATE INDEX batches_completed_by_content
    ON intake.batches (source, content_sha256)
    WHERE status = 'completed' AND NOT dry_run;

-- Row errors belong to one attempt of a batch: a crashed attempt's errors stay but are not current.
CREATE TABLE intake.row_errors (
    batch_id      bigint NOT NULL REFERENCES intake.batches (id),
    attempt       integer NOT NULL,
    -- 1-based CSV record number, the header being record 1; null for a whole-file error
    record_number bigint,
    column_name   text,
    code          text NOT NULL,
    message       text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX row_errors_by_batch ON intake.row_errors (batch_id, attempt, record_number);
CREATE INDEX row_errors_by_created_at ON intake.row_errors (created_at);
