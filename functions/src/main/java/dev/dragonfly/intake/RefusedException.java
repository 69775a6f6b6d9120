package dev.dragonfly.intake;

/**
 * An operator action refused to protect data or because it would not do what was asked: a
 * rollback that would erase a later batch's work, a re-ingest of a batch that already loaded.
 * The message says why and what to do instead.
 */
public final class RefusedException extends IntakeException {
  private final String code;
  private final boolean mistake;

  private RefusedException(String code, String message) {
    this(code, message, false);
  }

  private RefusedException(String code, String message, boolean mistake) {
    super(message);
    this.code = code;
    this.mistake = mistake;
  }

  public static RefusedException rollback(String message) {
    return new RefusedException("ROLLBACK_REFUSED", message);
  }

  /** A rollback asked of a batch that never loaded anything (failed, a dry run): a usage mistake, not data protection. */
  public static RefusedException nothingToRollBack(String message) {
    return new RefusedException("NOTHING_TO_ROLL_BACK", message, true);
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

  /** Asked of the wrong thing (exit 2), rather than refused to protect data (exit 5). */
  public boolean isUsageMistake() {
    return mistake;
  }
}
