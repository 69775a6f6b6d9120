package dev.dragonfly.intake;

/**
 * This worker's claim on a batch was taken over (its heartbeat went silent for longer than the
 * stale window). Its writes are discarded and it must stop: the new owner finishes the batch.
 */
public final class ClaimLostException extends IntakeException {
  public ClaimLostException(long batchId, int attempt) {
    super("batch " + batchId + " attempt " + attempt
        + " lost its claim to a newer attempt; this worker's writes were discarded");
  }

  @Override public String code() {
    return "CLAIM_LOST";
  }
}
