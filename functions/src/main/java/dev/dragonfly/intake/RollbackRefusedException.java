package dev.dragonfly.intake;

/** A rollback that would not restore a true earlier state, so it is refused. */
public final class RollbackRefusedException extends IntakeException {
  public RollbackRefusedException(String message) {
    super(message);
  }

  @Override public String code() {
    return "ROLLBACK_REFUSED";
  }

  @Override public boolean isUserError() {
    return true;
  }
}
