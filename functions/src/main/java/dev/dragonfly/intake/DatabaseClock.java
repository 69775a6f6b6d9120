package dev.dragonfly.intake;

import java.time.Instant;
import org.jdbi.v3.core.Handle;

/**
 * The one clock every lease, heartbeat and time window of a batch is judged on: the database's
 * ({@code intake.lease_clock}, {@code clock_timestamp()} when the statement runs), never the
 * worker's or the sentinel's own. Heartbeats are written and judged stale by the same clock, so a
 * machine whose clock runs a minute behind never gets a live worker taken over.
 *
 * <p>The offset is zero outside tests; tests move time with it instead of waiting.
 */
public interface DatabaseClock {
  DatabaseClock DATABASE = () -> 0L;

  /** Milliseconds added to the database's clock: 0 in production. */
  long offsetMillis();

  /** The database's time now, as leases see it. */
  default Instant now(Handle h) {
    return h.createQuery("SELECT intake.lease_clock(:offset)").bind("offset", offsetMillis())
        .mapTo(Instant.class).one();
  }
}
