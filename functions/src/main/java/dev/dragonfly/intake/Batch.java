package dev.dragonfly.intake;

import java.math.BigDecimal;
import java.time.OffsetDateTime;

/** A row of {@code intake.batches} as operators see it. */
public record Batch(long id, String source, String objectKey, String objectVersion, String status,
                    boolean dryRun, int attempt, OffsetDateTime heartbeatAt, String contentSha256,
                    Long bytesRead, BigDecimal errorThresholdPercent, Long rowsTotal, Long rowsValid,
                    Long rowsInvalid, Long rowsInserted, Long rowsUpdated, Long rowsUnchanged,
                    String rejectionReason, Long duplicateOf, String lastError, String rollbackReason,
                    OffsetDateTime createdAt, OffsetDateTime startedAt, OffsetDateTime finishedAt,
                    OffsetDateTime rolledBackAt, OffsetDateTime resultsWrittenAt,
                    OffsetDateTime eventPublishedAt, OffsetDateTime releasedAt, int redrives) {
  public static final String COLUMNS = """
      id, source, object_key, object_version, status, dry_run, attempt, heartbeat_at, content_sha256,
      bytes_read, error_threshold_percent, rows_total, rows_valid, rows_invalid, rows_inserted,
      rows_updated, rows_unchanged, rejection_reason, duplicate_of, last_error, rollback_reason,
      created_at, started_at, finished_at, rolled_back_at, results_written_at, event_published_at, released_at,
      redrives""";
}
