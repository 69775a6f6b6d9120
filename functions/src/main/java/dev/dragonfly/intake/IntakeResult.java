package dev.dragonfly.intake;

import java.util.List;
import java.util.Map;

/**
 * What happened to one input: the batch, its status and counts, error counts by code and the
 * reason for a rejection or the batch it duplicates. Serialised as the JSON summary.
 *
 * @param status {@code completed}, {@code failed} (rejected), {@code duplicate} or {@code in_progress}
 * @param duplicateOfStatus the status of the batch this one duplicates: a re-sent file that was
 *     rejected is a duplicate of a {@code failed} batch
 */
public record IntakeResult(long batchId, String source, String objectKey, String status, boolean dryRun,
                           int attempt, long rowsTotal, long rowsValid, long rowsInvalid, long rowsInserted,
                           long rowsUpdated, long rowsUnchanged, Map<String, Long> errorsByCode,
                           String rejectionReason, Long duplicateOf, String duplicateOfStatus,
                           String contentSha256, long bytesRead,
                           List<String> ignoredColumns, long durationMillis) {
  public static final String COMPLETED = "completed";
  public static final String FAILED = "failed";
  public static final String DUPLICATE = "duplicate";
  public static final String IN_PROGRESS = "in_progress";

  public IntakeResult {
    errorsByCode = Map.copyOf(errorsByCode);
    ignoredColumns = List.copyOf(ignoredColumns);
  }

  public BatchCounts counts() {
    return new BatchCounts(rowsTotal, rowsValid, rowsInvalid, rowsInserted, rowsUpdated, rowsUnchanged);
  }

  static IntakeResult inProgress(long batchId, ObjectRef ref) {
    return new IntakeResult(batchId, ref.source(), ref.key(), IN_PROGRESS, false, 0, 0, 0, 0, 0, 0, 0, Map.of(),
        null, null, null, null, 0, List.of(), 0);
  }

  static IntakeResult duplicate(long batchId, ObjectRef ref, boolean dryRun, long originalId, String originalStatus,
                                String sha256, long bytes) {
    return new IntakeResult(batchId, ref.source(), ref.key(), DUPLICATE, dryRun, 0, 0, 0, 0, 0, 0, 0, Map.of(),
        null, originalId, originalStatus, sha256, bytes, List.of(), 0);
  }

  /**
   * A duplicate found by the claim, before reading: this very object version was processed
   * already (a redelivered event), as opposed to the same content under another name.
   */
  public boolean sameObject() {
    return status.equals(DUPLICATE) && contentSha256 == null;
  }

  /** One line for a terminal: the verdict and the numbers behind it. */
  public String oneLine() {
    String prefix = "batch " + batchId + (dryRun ? " (dry run)" : "") + " ";
    return switch (status) {
      case DUPLICATE -> prefix + "duplicate of batch " + duplicateOf + " (" + duplicateOfStatus + "): nothing loaded";
      case IN_PROGRESS -> prefix + "in progress in another worker: nothing done, retry later";
      case FAILED -> prefix + "rejected: " + rejectionReason + " (" + rowsTotal + " rows, " + rowsInvalid
          + " invalid); nothing loaded";
      default -> prefix + status + ": " + rowsTotal + " rows, " + rowsValid + " valid, " + rowsInvalid
          + " invalid; " + rowsInserted + " inserted, " + rowsUpdated + " updated, " + rowsUnchanged
          + " unchanged" + (dryRun ? " (would be; nothing written)" : "");
    };
  }
}
