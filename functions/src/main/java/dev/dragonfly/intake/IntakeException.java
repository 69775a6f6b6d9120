package dev.dragonfly.intake;

/**
 * The intake could not do the work asked of it. Subclasses name the condition; the message
 * states it with the offending value, and says what to do where a person can fix it.
 */
public abstract class IntakeException extends RuntimeException {
  protected IntakeException(String message) {
    super(message);
  }

  protected IntakeException(String message, Throwable cause) {
    super(message, cause);
  }

  /** Stable code for operators and scripts, e.g. {@code UNKNOWN_SOURCE}. */
  public abstract String code();

  /** A mistake the caller can fix (bad argument, unknown name), as opposed to a broken system. */
  public boolean isUserError() {
    return false;
  }
}
