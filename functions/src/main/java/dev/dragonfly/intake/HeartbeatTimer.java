package dev.dragonfly.intake;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Calls a claimed batch's heartbeat every interval. Production uses a daemon thread per batch;
 * tests use one they step by hand, so "a load longer than the stale window" is a fact of the
 * test, not a bet on the scheduler.
 */
interface HeartbeatTimer {
  /** Starts calling {@code beat} every {@code interval}; the returned action stops it. */
  Runnable start(long batchId, Duration interval, Runnable beat);

  HeartbeatTimer THREAD = (batchId, interval, beat) -> {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "intake-heartbeat-" + batchId);
      t.setDaemon(true);
      return t;
    });
    long millis = interval.toMillis();
    timer.scheduleWithFixedDelay(beat, millis, millis, TimeUnit.MILLISECONDS);
    return timer::shutdownNow;
  };
}
