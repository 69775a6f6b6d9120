package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

/**
 * One reported problem: a code, the 1-based CSV record number (the header is record 1; null
 * for a whole-file problem found before any record), the canonical column (null for a
 * whole-row problem) and a message that never repeats the offending value.
 */
public record RowError(Long recordNumber, String column, ErrorCode code, String message) {
  public RowError {
    requireNonNull(code, "code == null");
    requireNonNull(message, "message == null");
  }
}
