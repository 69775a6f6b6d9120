package dev.dragonfly.intake;

/** Points where tests stop or kill a worker mid-batch, to prove crash safety. */
interface IntakeHooks {
  IntakeHooks NONE = new IntakeHooks() {};

  /** After each chunk was written inside the (uncommitted) load transaction. */
  default void afterChunk(long batchId, long rowsSoFar) {}

  /** After the claim, before anything is read or written. */
  default void afterClaim(long batchId) {}
}
