package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.DatabaseClock;
import java.time.Clock;
import java.time.Instant;

/**
 * The time a pass runs at: the database's ({@link DatabaseClock}), the clock the workers write
 * their heartbeats with, so that a stale window compares like with like whatever this machine's
 * clock says (README "Timing"). This machine's clock only when the database cannot answer, and
 * then the checks that compare against it cannot run anyway.
 */
final class PassClock {
  private final Database db;
  private final Clock fallback;

  PassClock(Database db, Clock fallback) {
    this.db = db;
    this.fallback = fallback;
  }

  /** @param reachable whether the database answered just now: if not, it is not asked again */
  Instant now(boolean reachable) {
    if (!reachable) return fallback.instant();
    try {
      return db.jdbi().withHandle(DatabaseClock.DATABASE::now);
    } catch (RuntimeException unreachable) {
      return fallback.instant();
    }
  }
}
