package dev.dragonfly.intake;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/** Waiting for a state of a race, never for a length of time. */
public final class Races {
  private Races() {}

  public static <T> CompletableFuture<T> async(Supplier<T> work) {
    var f = new CompletableFuture<T>();
    Thread t = new Thread(() -> {
      try {
        f.complete(work.get());
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    }, "test-worker");
    t.setDaemon(true);
    t.start();
    return f;
  }

  /** Returns when {@code work} has finished or some session of this database waits for a lock. */
  public static void awaitDoneOrBlocked(Database db, Future<?> work) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!work.isDone() && !someoneWaitsForALock(db)) {
      if (System.nanoTime() > deadline) throw new AssertionError("neither finished nor blocked after 30 s");
      Thread.sleep(5);
    }
  }

  public static boolean someoneWaitsForALock(Database db) {
    return db.jdbi().withHandle(h -> h.createQuery("""
            SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
            WHERE NOT l.granted AND a.datname = current_database()""").mapTo(Boolean.class).one());
  }
}
