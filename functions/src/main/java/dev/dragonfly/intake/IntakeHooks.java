package dev.dragonfly.intake;

/**
 * Points where tests stop, pause or kill a worker mid-batch to force an interleaving: crash
 * safety, fencing and the races between loads, merges and rollbacks are proven at these points.
 */
interface IntakeHooks {
  IntakeHooks NONE = new IntakeHooks() {};

  /** After the claim, before anything is read or written. */
  default void afterClaim(long batchId) {}

  /**
   * In the middle of a chunk's COPY into the target: part of its rows is sent, the rest not yet,
   * and the statement is running (a worker frozen here keeps its session active, not idle).
   */
  default void duringCopy(long batchId) {}

  /** After each chunk was written inside the (uncommitted) load transaction. */
  default void afterChunk(long batchId, long rowsSoFar) {}

  /** Every row is loaded or staged; next: the content-duplicate check under its advisory lock. */
  default void beforeContentCheck(long batchId) {}

  /** The content-duplicate check is done (its advisory lock held until the commit); next: its verdict. */
  default void afterContentCheck(long batchId) {}

  /** Inside the merge: history of the locked target rows is written, the rows are not yet updated. */
  default void afterMergeHistory(long batchId) {}

  /** Everything is written; next: the fenced completion and the commit. */
  default void beforeFinalize(long batchId) {}

  /** Inside a rollback: the batch's rows are locked and no later batch touched them; nothing restored yet. */
  default void rollbackBeforeRestore(long batchId) {}
}
