package dev.dragonfly.intake;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock the test moves forward: stale windows pass without waiting for them. As a
 * {@link DatabaseClock} it shifts the database's clock onto this one (to within the
 * milliseconds between this call and the statement), so rows written on the database's clock
 * and a sentinel pass given {@link #instant()} agree, as the database's time and a pass's do.
 */
public final class MutableClock extends Clock implements DatabaseClock {
  private final AtomicReference<Instant> now;

  public MutableClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  public void advance(Duration d) {
    now.updateAndGet(t -> t.plus(d));
  }

  @Override public Instant instant() {
    return now.get();
  }

  @Override public long offsetMillis() {
    return instant().toEpochMilli() - System.currentTimeMillis();
  }

  @Override public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("UTC only");
  }
}
