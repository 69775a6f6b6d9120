-- The judgments dataset: target table, its staging shape and the history that makes rollback true.
CREATE TABLE intake.judgments (
    case_number          text PRIMARY KEY,
    plaintiff_name       text NOT NULL,
    defendant_name       text NOT NULL,
    judgment_amount      numeric(12, 2) NOT NULL CHECK (judgment_amount >= 0),
    judgment_date        date NOT NULL,
    court                text,
    county               text,
    defendant_address    text,
    -- four characters can never be a full SSN; digits are checked by the validator
    defendant_ssn_last4  text CHECK (char_length(defendant_ssn_last4) = 4),
    defendant_email      text,
    -- provenance. No foreign key to batches on purpose: it would cost a trigger per loaded row.
    source               text NOT NULL,
    first_batch_id       bigint NOT NULL,
    last_batch_id        bigint NOT NULL,
    source_record_number bigint NOT NULL,
    -- rollback never deletes: an inserted row is marked instead
    rolled_back          boolean NOT NULL DEFAULT false,
    loaded_at            timestamptz NOT NULL DEFAULT now()
);
-- Rollback finds a batch's rows by last_batch_id. A batch's rows are written together, so a
-- BRIN index finds them at a fraction of a btree's cost on every loaded row.
CREATE INDEX judgments_by_last_batch ON intake.judgments USING brin (last_batch_id);

-- The staging shape. Each load creates a temporary table LIKE this one, so staged rows are
-- never WAL-logged, never visible to other sessions and vanish with the transaction.
CREATE UNLOGGED TABLE intake.judgments_staging (
    case_number          text PRIMARY KEY,
    plaintiff_name       text NOT NULL,
    defendant_name       text NOT NULL,
    judgment_amount      numeric(12, 2) NOT NULL,
    judgment_date        date NOT NULL,
    court                text,
    county               text,
    defendant_address    text,
    defendant_ssn_last4  text,
    defendant_email      text,
    source_record_number bigint NOT NULL
);

-- What a batch overwrote: one row per judgment it changed, holding the previous version.
CREATE TABLE intake.judgment_history (
    batch_id                      bigint NOT NULL REFERENCES intake.batches (id),
    case_number                   text NOT NULL,
    plaintiff_name                text NOT NULL,
    defendant_name                text NOT NULL,
    judgment_amount               numeric(12, 2) NOT NULL,
    judgment_date                 date NOT NULL,
    court                         text,
    county                        text,
    defendant_address             text,
    defendant_ssn_last4           text,
    defendant_email               text,
    previous_source               text NOT NULL,
    previous_batch_id             bigint NOT NULL,
    previous_source_record_number bigint NOT NULL,
    previous_rolled_back          boolean NOT NULL,
    previous_loaded_at            timestamptz NOT NULL,
    -- set when the overwriting batch is rolled back and this version is restored
    reverted_at                   timestamptz,
    PRIMARY KEY (batch_id, case_number)
);
-- "Did a later batch touch this batch's rows?" during rollback.
CREATE INDEX judgment_history_by_previous_batch
    ON intake.judgment_history (previous_batch_id) WHERE reverted_at IS NULL;

-- The judgments as consumers should read them: rolled-back rows left out.
CREATE VIEW intake.judgments_current AS
SELECT case_number, plaintiff_name, defendant_name, judgment_amount, judgment_date, court, county,
       defendant_address, defendant_ssn_last4, defendant_email, source, first_batch_id, last_batch_id,
       source_record_number, loaded_at
FROM intake.judgments
WHERE NOT rolled_back;
