package dev.dragonfly.intake;

/** The batch id names no batch. */
public final class BatchNotFoundException extends IntakeException {
  public BatchNotFoundException(long batchId) {
    super("batch " + batchId + " not found; `sentinel batch list` shows recent batches");
  }

  @Override public String code() {
    return "BATCH_NOT_FOUND";
  }

  @Override public boolean isUserError() {
    return true;
  }
}
