package dev.dragonfly.sentinel.heal;

import dev.dragonfly.intake.Batch;
import java.util.Optional;

/**
 * Asks for a batch to be run again: on AWS, a re-drive message on the events topic for the
 * ingest function; on a local or embedded set-up, the pipeline in this process. The batch has
 * already been given back ({@code uploaded}) when this is called, so whoever runs it claims it.
 */
public interface Redriver {
  /** Where re-drives go, for reports and the audit: {@code events topic}, {@code in process}. */
  String describe();

  /** Why this batch cannot be re-driven here, if it cannot (its object is nowhere this sentinel can read). */
  Optional<String> cannotRedrive(Batch batch);

  /** Hands the re-drive off; returns once it is on its way (published, or queued to run here). */
  void redrive(Batch batch);

  /**
   * Whether an earlier re-drive of this batch is still queued or running here: such a batch is
   * waiting its turn, not stuck (a published re-drive is out of our hands: false).
   */
  default boolean inFlight(long batchId) {
    return false;
  }
}
