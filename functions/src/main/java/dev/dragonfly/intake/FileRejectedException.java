package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

/**
 * The file as a whole cannot be loaded (bad encoding, broken CSV, missing column, too large).
 * This is data, not a crash: the pipeline records it as the batch's rejection and loads nothing.
 */
public final class FileRejectedException extends RuntimeException {
  private final RowError error;

  public FileRejectedException(RowError error) {
    super(error.code() + ": " + error.message(), null, false, false);
    this.error = requireNonNull(error, "error == null");
    if (!error.code().rejectsFile())
      throw new IllegalArgumentException("not a file-level code: " + error.code());
  }

  public FileRejectedException(ErrorCode code, Long recordNumber, String message) {
    this(new RowError(recordNumber, null, code, message));
  }

  public RowError error() {
    return error;
  }
}
