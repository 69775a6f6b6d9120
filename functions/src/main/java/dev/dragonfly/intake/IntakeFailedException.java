package dev.dragonfly.intake;

/** A run failed for a reason that is not the file's fault (I/O, database); the batch was released for a retry. */
public final class IntakeFailedException extends IntakeException {
  public IntakeFailedException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override public String code() {
    return "INTAKE_FAILED";
  }
}
