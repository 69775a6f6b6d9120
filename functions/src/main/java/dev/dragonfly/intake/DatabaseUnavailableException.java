package dev.dragonfly.intake;

/** The database could not be reached or failed mid-run; the work can be retried. */
public final class DatabaseUnavailableException extends IntakeException {
  public DatabaseUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  @Override public String code() {
    return "DATABASE_UNAVAILABLE";
  }
}
