package dev.dragonfly.intake;

import java.time.Clock;

/** Pipelines with a failure planted mid-run, for tests outside this package (the function's). */
public final class TestPipelines {
  private TestPipelines() {}

  /**
   * A pipeline whose load connection is terminated by the server (as a failover would) once
   * {@code rows} rows of the file are written, the first time only.
   */
  public static IntakePipeline losingItsConnectionOnceAfter(Database db, IntakeConfig config, long rows) {
    var done = new java.util.concurrent.atomic.AtomicBoolean();
    return new IntakePipeline(db, config, Clock.systemUTC(), new IntakeHooks() {
      @Override public void afterChunk(long batchId, long rowsSoFar) {
        if (rowsSoFar >= rows && done.compareAndSet(false, true)) terminateLoadConnections(db);
      }
    });
  }

  /**
   * Terminates, from outside, every session of this database idle inside a transaction: at a
   * hook after a chunk, that is the load connection. As a failover or a network cut would.
   */
  public static void terminateLoadConnections(Database db) {
    db.jdbi().useHandle(h -> h.createQuery("""
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()""")
        .mapTo(Long.class).one());
  }

  /**
   * A pipeline that stops right after its claim until {@code resume} opens, with no heartbeat
   * of its own: a worker that is slow to start, never one that looks alive.
   * Its leases are judged on {@code leases} (a test's clock); {@code claimed} is counted down once
   * it holds its claim, so that a test waits for that state, not for a length of time.
   */
  public static IntakePipeline pausedAfterClaim(Database db, IntakeConfig config, Clock clock, DatabaseClock leases,
                                                java.util.concurrent.CountDownLatch claimed,
                                                java.util.concurrent.CountDownLatch resume) {
    return new IntakePipeline(db, config, clock, new IntakeHooks() {
      @Override public void afterClaim(long batchId) {
        claimed.countDown();
        try {
          resume.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }, new ManualHeartbeats(), leases);
  }
}
