package dev.dragonfly.intake;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refreshes a claimed batch's heartbeat every interval on the control connection, so "stuck"
 * means "nobody is working on it", not "it is big". Notices when the claim was taken over; the
 * loader asks before every chunk and stops writing.
 */
final class Heartbeat implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);

  private final BatchStore batches;
  private final Handle control;
  private final Claim.Claimed claim;
  private final Runnable stop;
  private final AtomicBoolean lost = new AtomicBoolean();

  Heartbeat(BatchStore batches, Handle control, Claim.Claimed claim, Duration interval, HeartbeatTimer timer) {
    this.batches = batches;
    this.control = control;
    this.claim = claim;
    this.stop = timer.start(claim.batchId(), interval, this::beat);
  }

  private void beat() {
    try {
      synchronized (control) {
        if (!batches.heartbeat(control, claim)) lost.set(true);
      }
    } catch (RuntimeException e) {
      // A missed beat is harmless until the stale window passes; the load itself will fail first.
      log.warn("batch {} heartbeat failed: {}", claim.batchId(), e.getMessage());
    }
  }

  /** Throws when a heartbeat found the claim taken over. */
  void checkClaim() {
    if (lost.get()) throw new ClaimLostException(claim.batchId(), claim.attempt());
  }

  @Override public void close() {
    stop.run();
  }
}
