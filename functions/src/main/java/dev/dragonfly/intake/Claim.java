package dev.dragonfly.intake;

import java.util.UUID;

/** The outcome of claiming an object version: go on, it was already done, or someone else holds it. */
public sealed interface Claim {
  long batchId();

  /** This worker owns the batch; every later write names {@code token}. */
  record Claimed(long batchId, int attempt, UUID token, boolean takeover) implements Claim {}

  /**
   * The object (or its content) was already processed as {@code originalId}; recorded as
   * {@code batchId}. {@code sameObject}: this very object version was decided before (a
   * redelivered event), as opposed to the same content under another name.
   */
  record Duplicate(long batchId, long originalId, String originalStatus, boolean sameObject) implements Claim {}

  /** Another worker holds a live claim; let redelivery or the sentinel retry. */
  record InProgress(long batchId) implements Claim {}
}
