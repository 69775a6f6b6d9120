package dev.dragonfly.intake;

/**
 * An operator action refused to protect data or because it would not do what was asked: a
 * rollback that would erase a later batch's work, a re-ingest of a batch that already loaded.
 * The message says why and what to do instead.
 */
public final class RefusedException extends IntakeException {
  private final String code;

  private RefusedException(String code, String message) {
    super(message);
    this.code = code;
  }

  public static RefusedException rollback(String message) {
    return new RefusedException("ROLLBACK_REFUSED", message);
  }

  public static RefusedException reingest(String message) {
    return new RefusedException("REINGEST_REFUSED", message);
  }

  public static RefusedException fail(String message) {
    return new RefusedException("FAIL_REFUSED", message);
  }

  @Override public String code() {
    return code;
  }

  @Override public boolean isUserError() {
    return true;
  }
}
