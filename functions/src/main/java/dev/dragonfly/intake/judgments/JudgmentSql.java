package dev.dragonfly.intake.judgments;

/** The named statements that load, merge and roll back judgments. Values are always bound. */
final class JudgmentSql {
  private JudgmentSql() {}

  static final String COPY_TARGET = """
      COPY intake.judgments (case_number, plaintiff_name, defendant_name, judgment_amount, judgment_date,
                             court, county, defendant_address, defendant_ssn_last4, defendant_email,
                             source_record_number, source, first_batch_id, last_batch_id)
      FROM STDIN""";

  static final String CREATE_STAGE = """
      CREATE TEMP TABLE IF NOT EXISTS judgments_stage
          (LIKE intake.judgments_staging INCLUDING ALL) ON COMMIT DROP""";

  static final String COPY_STAGE = """
      COPY pg_temp.judgments_stage (case_number, plaintiff_name, defendant_name, judgment_amount, judgment_date,
                                    court, county, defendant_address, defendant_ssn_last4, defendant_email,
                                    source_record_number)
      FROM STDIN""";

  /** Target rows for a chunk's keys: who wrote them last, and from which record. */
  static final String FIND_TARGET_KEYS = """
      SELECT case_number, last_batch_id, source_record_number
      FROM intake.judgments WHERE case_number = ANY (?)""";

  static final String FIND_STAGED_KEYS = """
      SELECT case_number, source_record_number
      FROM pg_temp.judgments_stage WHERE case_number = ANY (?)""";

  /** What merging the stage would do. A rolled-back target row counts as absent: loading it again inserts it. */
  static final String CLASSIFY_STAGE = """
      SELECT count(*) FILTER (WHERE j.case_number IS NULL)                        AS new_rows,
             count(*) FILTER (WHERE j.rolled_back)                                AS revived_rows,
             count(*) FILTER (WHERE NOT j.rolled_back AND %1$s)                   AS updated_rows,
             count(*) FILTER (WHERE NOT j.rolled_back AND NOT %1$s)               AS unchanged_rows
      FROM pg_temp.judgments_stage s LEFT JOIN intake.judgments j USING (case_number)
      """.formatted(JudgmentSql.CHANGED);

  static final String CHANGED = """
      ((j.plaintiff_name, j.defendant_name, j.judgment_amount, j.judgment_date, j.court, j.county,
        j.defendant_address, j.defendant_ssn_last4, j.defendant_email)
       IS DISTINCT FROM
       (s.plaintiff_name, s.defendant_name, s.judgment_amount, s.judgment_date, s.court, s.county,
        s.defendant_address, s.defendant_ssn_last4, s.defendant_email))""";

  /**
   * Locks the target rows the stage touches, in key order (two merges lock in the same order and
   * do not deadlock), before anything reads them for history. Counted, not fetched.
   */
  static final String LOCK_TARGET_ROWS = """
      SELECT count(*) FROM (
          SELECT 1 FROM intake.judgments j
          WHERE j.case_number IN (SELECT case_number FROM pg_temp.judgments_stage)
          ORDER BY j.case_number FOR UPDATE) locked""";

  /** Keeps the version each changed row had before this batch, so a rollback can restore it. */
  static final String SAVE_HISTORY = """
      INSERT INTO intake.judgment_history
          (batch_id, case_number, plaintiff_name, defendant_name, judgment_amount, judgment_date, court, county,
           defendant_address, defendant_ssn_last4, defendant_email, previous_source, previous_batch_id,
           previous_source_record_number, previous_rolled_back, previous_loaded_at)
      SELECT ?, j.case_number, j.plaintiff_name, j.defendant_name, j.judgment_amount, j.judgment_date, j.court,
             j.county, j.defendant_address, j.defendant_ssn_last4, j.defendant_email, j.source, j.last_batch_id,
             j.source_record_number, j.rolled_back, j.loaded_at
      FROM intake.judgments j JOIN pg_temp.judgments_stage s USING (case_number)
      WHERE j.rolled_back OR %s""".formatted(CHANGED);

  /**
   * Counts the rows this batch delivers unchanged, per batch that wrote them: rollback of that
   * batch must know that a later one delivered them too. Answers the total.
   */
  static final String SAVE_REDELIVERIES = """
      WITH saved AS (
          INSERT INTO intake.batch_redeliveries (batch_id, previous_batch_id, rows)
          SELECT ?, j.last_batch_id, count(*)
          FROM intake.judgments j JOIN pg_temp.judgments_stage s USING (case_number)
          WHERE NOT j.rolled_back AND NOT %s
          GROUP BY j.last_batch_id
          RETURNING rows)
      SELECT coalesce(sum(rows), 0) FROM saved""".formatted(CHANGED);

  static final String UPDATE_FROM_STAGE = """
      UPDATE intake.judgments j
      SET plaintiff_name = s.plaintiff_name, defendant_name = s.defendant_name,
          judgment_amount = s.judgment_amount, judgment_date = s.judgment_date, court = s.court,
          county = s.county, defendant_address = s.defendant_address,
          defendant_ssn_last4 = s.defendant_ssn_last4, defendant_email = s.defendant_email,
          source = ?, last_batch_id = ?, source_record_number = s.source_record_number,
          rolled_back = false, loaded_at = now()
      FROM pg_temp.judgments_stage s
      WHERE j.case_number = s.case_number AND (j.rolled_back OR %s)""".formatted(CHANGED);

  /**
   * Inserts the keys the stage counted as new. A key another batch inserted meanwhile is skipped,
   * not an error: the count then falls short and the merge fails as a serialization failure, to be
   * retried. NOT EXISTS alone cannot see a key another batch's COPY holds uncommitted; the insert
   * waits for that batch, and when it commits, a plain INSERT would fail with 23505.
   */
  static final String INSERT_FROM_STAGE = """
      INSERT INTO intake.judgments
          (case_number, plaintiff_name, defendant_name, judgment_amount, judgment_date, court, county,
           defendant_address, defendant_ssn_last4, defendant_email, source_record_number, source,
           first_batch_id, last_batch_id)
      SELECT s.case_number, s.plaintiff_name, s.defendant_name, s.judgment_amount, s.judgment_date, s.court,
             s.county, s.defendant_address, s.defendant_ssn_last4, s.defendant_email, s.source_record_number,
             ?, ?, ?
      FROM pg_temp.judgments_stage s
      WHERE NOT EXISTS (SELECT 1 FROM intake.judgments j WHERE j.case_number = s.case_number)
      ON CONFLICT (case_number) DO NOTHING""";
}
