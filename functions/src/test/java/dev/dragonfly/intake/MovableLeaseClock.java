package dev.dragonfly.intake;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** The database's clock as leases read it, moved forward by the test: stale windows pass without waiting. */
public final class MovableLeaseClock implements DatabaseClock {
  private final AtomicLong offset = new AtomicLong();

  @Override public long offsetMillis() {
    return offset.get();
  }

  public void advance(Duration d) {
    offset.addAndGet(d.toMillis());
  }
}
