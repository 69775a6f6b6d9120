package dev.dragonfly.intake;

import java.util.UUID;

/** The outcome of claiming an object version: go on, it was already done, or someone else holds it. */
public sealed interface Claim {
  long batchId();

  /** This worker owns the batch; every later write names {@code token}. */
  record Claimed(long batchId, int attempt, UUID token, boolean takeover) implements Claim {}

  /**
   * This object version was already decided as {@code originalId} (a redelivered event); the
   * redelivery is recorded as {@code batchId}.
   */
  record Duplicate(long batchId, long originalId, String originalStatus) implements Claim {}

  /** Another worker holds a live claim; let redelivery or the sentinel retry. */
  record InProgress(long batchId) implements Claim {}
}
