package dev.dragonfly.intake;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A heartbeat timer the test steps by hand: a beat happens when the test says so, never otherwise. */
final class ManualHeartbeats implements HeartbeatTimer {
  private final Map<Long, Runnable> running = new ConcurrentHashMap<>();

  @Override public Runnable start(long batchId, Duration interval, Runnable beat) {
    running.put(batchId, beat);
    return () -> running.remove(batchId, beat);
  }

  /** Runs the heartbeat of the batch's running attempt in this pipeline, as its timer would. */
  void beat(long batchId) {
    Runnable beat = running.get(batchId);
    if (beat == null) throw new IllegalStateException("no heartbeat running for batch " + batchId);
    beat.run();
  }
}
