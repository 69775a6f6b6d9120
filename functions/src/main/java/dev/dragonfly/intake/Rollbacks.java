package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * Rolls a completed batch back without deleting anything: rows it inserted are marked rolled
 * back, rows it changed get their previous version from {@code intake.judgment_history}. Refuses,
 * naming the batch, when a later batch has changed the same rows or delivered them again
 * unchanged: restoring would erase that batch's work, and a row a completed batch delivered must
 * not vanish from under it.
 */
public final class Rollbacks {
  private final Jdbi jdbi;
  private final IntakeHooks hooks;

  public Rollbacks(Jdbi jdbi) {
    this(jdbi, IntakeHooks.NONE);
  }

  Rollbacks(Jdbi jdbi, IntakeHooks hooks) {
    this.jdbi = jdbi;
    this.hooks = hooks;
  }

  /**
   * @param alreadyRolledBack true when the batch had been rolled back before: nothing was changed
   */
  public record Outcome(long batchId, boolean alreadyRolledBack, long rowsRestored, long rowsMarkedRolledBack,
                        String message) {}

  public Outcome rollback(long batchId, String reason) {
    requireNonNull(reason, "reason == null");
    if (reason.isBlank()) throw new IllegalArgumentException("a rollback needs a reason");
    return jdbi.inTransaction(h -> {
      Batch batch = h.createQuery("SELECT " + Batch.COLUMNS + " FROM intake.batches WHERE id = :id FOR UPDATE")
          .bind("id", batchId).mapTo(Batch.class).findOne()
          .orElseThrow(() -> new BatchNotFoundException(batchId));
      if (batch.status().equals("rolled_back")) {
        return new Outcome(batchId, true, 0, 0, "batch " + batchId + " was already rolled back at "
            + batch.rolledBackAt() + " (" + batch.rollbackReason() + "); nothing to do");
      }
      if (batch.dryRun()) {
        throw RefusedException.nothingToRollBack("batch " + batchId + " was a dry run and wrote nothing; nothing to roll back");
      }
      if (!batch.status().equals("completed")) {
        throw RefusedException.nothingToRollBack("batch " + batchId + " is " + batch.status()
            + "; only a completed batch loaded rows to roll back");
      }
      // Lock this batch's rows first, so no merge can read them for its history, or change them,
      // between the check and the restore (counted, not fetched: a batch may have written millions).
      h.createQuery("SELECT count(*) FROM (SELECT 1 FROM intake.judgments WHERE last_batch_id = :id FOR UPDATE) locked")
          .bind("id", batchId).mapTo(Long.class).one();
      Optional<LaterChange> later = h.createQuery("""
              SELECT batch_id, sum(rows) AS rows FROM (
                  SELECT batch_id, count(*) AS rows FROM intake.judgment_history
                  WHERE previous_batch_id = :id AND reverted_at IS NULL GROUP BY batch_id
                  UNION ALL
                  SELECT batch_id, rows FROM intake.batch_redeliveries
                  WHERE previous_batch_id = :id AND reverted_at IS NULL) later
              GROUP BY batch_id ORDER BY batch_id DESC LIMIT 1""")
          .bind("id", batchId)
          .map((rs, ctx) -> new LaterChange(rs.getLong("batch_id"), rs.getLong("rows")))
          .findOne();
      if (later.isPresent()) {
        throw RefusedException.rollback("batch " + later.get().batchId() + " has since changed or re-delivered "
            + later.get().rows() + " row(s) that batch " + batchId + " wrote; roll back batch "
            + later.get().batchId() + " first");
      }
      hooks.rollbackBeforeRestore(batchId);
      long restored = restorePreviousVersions(h, batchId);
      long marked = h.createUpdate(
              "UPDATE intake.judgments SET rolled_back = true WHERE last_batch_id = :id AND NOT rolled_back")
          .bind("id", batchId).execute();
      h.createUpdate("UPDATE intake.judgment_history SET reverted_at = now() WHERE batch_id = :id")
          .bind("id", batchId).execute();
      h.createUpdate("UPDATE intake.batch_redeliveries SET reverted_at = now() WHERE batch_id = :id")
          .bind("id", batchId).execute();
      h.createUpdate("""
              UPDATE intake.batches SET status = 'rolled_back', rolled_back_at = now(), rollback_reason = :reason
              WHERE id = :id""")
          .bind("id", batchId).bind("reason", reason).execute();
      return new Outcome(batchId, false, restored, marked, "batch " + batchId + " rolled back: " + restored
          + " row(s) restored to their previous version, " + marked + " inserted row(s) marked rolled back");
    });
  }

  private record LaterChange(long batchId, long rows) {}

  private static long restorePreviousVersions(Handle h, long batchId) {
    return h.createUpdate("""
            UPDATE intake.judgments j
            SET plaintiff_name = p.plaintiff_name, defendant_name = p.defendant_name,
                judgment_amount = p.judgment_amount, judgment_date = p.judgment_date, court = p.court,
                county = p.county, defendant_address = p.defendant_address,
                defendant_ssn_last4 = p.defendant_ssn_last4, defendant_email = p.defendant_email,
                source = p.previous_source, last_batch_id = p.previous_batch_id,
                source_record_number = p.previous_source_record_number,
                rolled_back = p.previous_rolled_back, loaded_at = p.previous_loaded_at
            FROM intake.judgment_history p
            WHERE p.batch_id = :id AND p.reverted_at IS NULL
              AND j.case_number = p.case_number AND j.last_batch_id = :id""")
        .bind("id", batchId).execute();
  }
}
