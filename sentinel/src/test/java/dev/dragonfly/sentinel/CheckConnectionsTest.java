package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dragonfly.intake.Fixtures;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.DatabaseCheck;
import dev.dragonfly.sentinel.check.ErrorSpike;
import dev.dragonfly.sentinel.check.LostEvents;
import dev.dragonfly.sentinel.check.SchemaCache;
import dev.dragonfly.sentinel.check.SentinelSelf;
import dev.dragonfly.sentinel.check.Status;
import dev.dragonfly.sentinel.check.StuckBatches;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The checks' sessions with the database locked under them, as a migration's ALTER TABLE locks
 * intake.batches: bounded by the pool, ended in the server at the check time limit, and the
 * in-process re-drive neither starved nor cut short by either. Sessions are counted in
 * pg_stat_activity by the sentinel's application name.
 */
@Timeout(180)
class CheckConnectionsTest {
  private final SentinelFixture f = new SentinelFixture();

  /** A session holding {@code table} as ALTER TABLE does (ACCESS EXCLUSIVE) until it is closed. */
  private Connection locking(String table) throws SQLException {
    var ds = new PGSimpleDataSource();
    ds.setUrl(((PGSimpleDataSource) f.db.dataSource()).getUrl());
    ds.setUser("postgres");
    ds.setApplicationName("schema-migration");
    Connection c = ds.getConnection();
    c.setAutoCommit(false);
    c.createStatement().execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
    return c;
  }

  private long sentinelSessions() {
    return f.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?",
        CheckConnections.APPLICATION_NAME);
  }

  private long sentinelSessionsWaitingForALock() {
    return f.count("""
        SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
        WHERE NOT l.granted AND a.datname = current_database() AND a.application_name = ?""",
        CheckConnections.APPLICATION_NAME);
  }

  /** Polls the database for a state, never waiting out a length of time for it. */
  private static boolean eventually(Duration limit, BooleanSupplier state) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!state.getAsBoolean()) {
      if (System.nanoTime() > deadline) return false;
      Thread.sleep(10);
    }
    return true;
  }

  @Test
  void withBatchesLockedForTwentyPassesTheSessionsStayWithinThePoolAndOnlyTheBlockedChecksAreUnknown() throws Exception {
    Map<String, String> env = Map.of("SENTINEL_CHECK_TIME_LIMIT", "500ms",
        "SENTINEL_UNKNOWN_PASSES", "21"); // self stays ok: its warning about unknown checks is tested elsewhere
    Map<String, Status> expected = new LinkedHashMap<>();
    expected.put(StuckBatches.NAME, Status.UNKNOWN); // reads intake.batches
    expected.put(ErrorSpike.NAME, Status.UNKNOWN);   // reads intake.batches
    expected.put(SchemaCache.NAME, Status.SKIPPED);
    expected.put(LostEvents.NAME, Status.SKIPPED);
    expected.put(DatabaseCheck.NAME, Status.OK);
    expected.put(SentinelSelf.NAME, Status.OK);
    long most = 0;
    try (Connection migration = locking("intake.batches"); SentinelFactory.Built built = f.local(env)) {
      for (int pass = 1; pass <= 20; pass++) {
        f.clock.advance(Duration.ofMinutes(1));
        Report report = built.sentinel().runOnce(f.clock.instant());

        Map<String, Status> statuses = new LinkedHashMap<>();
        report.checks().forEach(c -> statuses.put(c.check(), c.status()));
        assertThat(statuses).as("pass %d: %s", pass, report.lines()).isEqualTo(expected);
        for (String blocked : new String[] {StuckBatches.NAME, ErrorSpike.NAME}) {
          assertThat(report.check(blocked).summary()).as("pass %d: blocked, not short of a session", pass)
              .doesNotContain("Connection is not available");
        }
        most = Math.max(most, sentinelSessions());
      }
      assertThat(most).as("the sentinel's sessions at most, over 20 passes").isBetween(1L,
          (long) SentinelConfig.DATABASE_POOL_SIZE_DEFAULT);
      assertThat(eventually(Duration.ofSeconds(2), () -> sentinelSessionsWaitingForALock() == 0))
          .as("the blocked statements ended in the database, the lock still held").isTrue();
    }
  }

  @Test
  void theChecksNeverHoldMoreSessionsThanThePool() throws Exception {
    Map<String, String> env = Map.of("SENTINEL_CHECK_TIME_LIMIT", "1s", "SENTINEL_DB_POOL_SIZE", "2");
    try (Connection migration = locking("intake.batches"); SentinelFactory.Built built = f.local(env)) {
      for (int pass = 1; pass <= 3; pass++) {
        f.clock.advance(Duration.ofMinutes(1));
        Report report = built.sentinel().runOnce(f.clock.instant());
        assertThat(report.check(StuckBatches.NAME).status()).isEqualTo(Status.UNKNOWN);
        // two checks blocked on the lock hold both sessions; the others wait for one rather than open a third
        assertThat(sentinelSessions()).as("pass %d: %s", pass, report.lines()).isEqualTo(2);
      }
    }
  }

  @Test
  void anInProcessReDriveWaitsOnALockLongerThanTheCheckLimitAndFinishes(@TempDir Path dir) throws Exception {
    Path input = dir.resolve("behind-a-lock.csv");
    Files.writeString(input, Fixtures.csv(Fixtures.row("C-1")));
    long id = f.db.jdbi().withHandle(h -> h.createQuery("""
            INSERT INTO intake.batches (source, object_key, object_version, status, owner_token, heartbeat_at,
                                        started_at, error_threshold_percent)
            VALUES ('judgments', :key, 'v1', 'staging', gen_random_uuid(), :hb, :hb, 10) RETURNING id""")
        .bind("key", input.toString()).bind("hb", f.clock.instant()).mapTo(Long.class).one());
    Map<String, String> env = Map.of("SENTINEL_CHECK_TIME_LIMIT", "300ms");
    try (SentinelFactory.Built built = f.local(env)) {
      try (Connection merge = locking("intake.judgments")) {
        f.clock.advance(Duration.ofSeconds(46));
        CheckResult stuck = built.sentinel().runOnce(f.clock.instant()).check(StuckBatches.NAME);
        assertThat(stuck.summary()).startsWith("batch " + id + " re-driven");

        // three check limits of waiting: on the checks' sessions its statement would have been ended
        assertThat(eventually(Duration.ofSeconds(30), () -> f.count("""
            SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
            WHERE NOT l.granted AND a.datname = current_database() AND a.application_name IS DISTINCT FROM ?
              AND l.waitstart < now() - interval '900 milliseconds'""", CheckConnections.APPLICATION_NAME) > 0))
            .as("the re-drive waits behind the lock on a session of its own").isTrue();
        merge.rollback();
      }
      built.localRedriver().orElseThrow().awaitQueued(Duration.ofSeconds(30));
    }
    assertThat(f.count("SELECT count(*) FROM intake.batches WHERE id = ? AND status = 'completed'", id)).isEqualTo(1);
    assertThat(f.count("SELECT count(*) FROM intake.judgments WHERE case_number = 'C-1'")).isEqualTo(1);
  }

  @Test
  void aPoolSizeOrTimeLimitThatCannotWorkIsRefusedNamingItsVariable() {
    assertThat(f.config(Map.of()).databasePoolSize()).isEqualTo(5);
    assertThatThrownBy(() -> f.config(Map.of("SENTINEL_DB_POOL_SIZE", "0")))
        .hasMessage("SENTINEL_DB_POOL_SIZE must be 1 or more: 0");
    assertThatThrownBy(() -> f.config(Map.of("SENTINEL_DB_POOL_SIZE", "five")))
        .hasMessage("SENTINEL_DB_POOL_SIZE is not a whole number: five");
    assertThatThrownBy(() -> f.config(Map.of("SENTINEL_CHECK_TIME_LIMIT", "0s")))
        .hasMessage("SENTINEL_CHECK_TIME_LIMIT: '0s' is not a positive duration");
  }
}
