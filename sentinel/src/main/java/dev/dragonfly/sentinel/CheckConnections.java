package dev.dragonfly.sentinel;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.dragonfly.intake.Database;
import java.time.Duration;
import javax.sql.DataSource;

/**
 * The checks' database sessions: a small pool (SENTINEL_DB_POOL_SIZE) over the process's own
 * connections, each session named {@value #APPLICATION_NAME} and carrying the check time limit as
 * its {@code statement_timeout} and {@code lock_timeout}. Interrupting a check's thread does not
 * end a JDBC read: without these, a check blocked on a lock (a migration's ALTER TABLE) would
 * leave its session waiting after its pass gave up on it, one more each pass, until the database
 * ran out of connections. With them, a statement a check started ends in the server at most one
 * limit after it started, and no more than the pool's sessions are ever open.
 *
 * <p>Only the checks (and the pass history they read) use it. An in-process re-drive runs the
 * intake pipeline on the process's own connections, neither starved by this pool nor cut short
 * by its timeouts; alerts and migrations, run one at a time on the pass's own thread, use those
 * too.
 */
final class CheckConnections implements AutoCloseable {
  /** How the sentinel's checks show in {@code pg_stat_activity} (runbooks/database.md). */
  static final String APPLICATION_NAME = "dragonfly-sentinel";
  /** HikariCP's smallest wait for a free connection. */
  private static final Duration SHORTEST_WAIT = Duration.ofMillis(250);

  private final HikariDataSource pool;
  private final Database database;

  /**
   * @param connections how the process connects (a connection per use): the pool borrows from it
   * @param size        the most sessions open at once
   * @param timeLimit   the checks' limit: their sessions' statement and lock timeout, and half of it how
   *                    long a check waits for a free session before it is told none is free
   */
  CheckConnections(DataSource connections, int size, Duration timeLimit) {
    HikariConfig config = new HikariConfig();
    config.setDataSource(connections);
    config.setPoolName(APPLICATION_NAME);
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(0);
    config.setInitializationFailTimeout(-1); // the database may be down at start: each pass then reports unknowns
    // half the limit: a check that finds no free session (or no server) says so within its limit
    config.setConnectionTimeout(Math.max(timeLimit.toMillis() / 2, SHORTEST_WAIT.toMillis()));
    long millis = timeLimit.toMillis();
    // set_config, not connection options: a pooler such as RDS Proxy refuses startup options
    config.setConnectionInitSql("SELECT set_config('application_name', '" + APPLICATION_NAME + "', false), "
        + "set_config('statement_timeout', '" + millis + "', false), set_config('lock_timeout', '" + millis + "', false)");
    this.pool = new HikariDataSource(config);
    this.database = new Database(pool);
  }

  Database database() {
    return database;
  }

  @Override public void close() {
    pool.close();
  }
}
