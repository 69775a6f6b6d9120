package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Json;
import dev.dragonfly.intake.Races;
import dev.dragonfly.intake.TestDatabase;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.DatabaseCheck;
import dev.dragonfly.sentinel.check.Status;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * database on both sides of each threshold. Sessions are real; their ages are judged against
 * the pass's clock, so the test moves the clock past a limit instead of waiting it out.
 */
class DatabaseCheckTest {
  private static final DatabaseCheck.Thresholds THRESHOLDS =
      new DatabaseCheck.Thresholds(80, 95, Duration.ofMinutes(5), Duration.ofMinutes(1));

  private static Connection connect(PGSimpleDataSource template, String application) throws SQLException {
    var ds = new PGSimpleDataSource();
    ds.setUrl(template.getUrl());
    ds.setUser("postgres");
    ds.setApplicationName(application);
    return ds.getConnection();
  }

  @Test
  void connectionsAreOkUnderEightyPercentWarningFromItAndCriticalFromNinetyFive() throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("max_connections", "20").start()) {
      var ds = (PGSimpleDataSource) pg.getPostgresDatabase();
      var check = new DatabaseCheck(new Database(ds).jdbi(), THRESHOLDS);
      List<Connection> held = new ArrayList<>();
      try {
        while (held.size() < 14) held.add(connect(ds, "holder"));
        // the check's own connection makes 15 of 20
        assertThat(check.run(Instant.now()).status()).isEqualTo(Status.OK);
        held.add(connect(ds, "holder"));
        CheckResult warning = check.run(Instant.now());
        assertThat(warning.status()).isEqualTo(Status.WARNING);
        assertThat(warning.summary()).startsWith("16 of 20 connections in use (80%)");
        while (held.size() < 18) held.add(connect(ds, "holder"));
        assertThat(check.run(Instant.now()).status()).isEqualTo(Status.CRITICAL);
      } finally {
        for (Connection c : held) c.close();
      }
    }
  }

  @Test
  void aSessionIdleInATransactionIsReportedOnlyPastTheLimitByNameWithoutItsQuery() throws Exception {
    Database db = TestDatabase.fresh();
    var check = new DatabaseCheck(db.jdbi(), THRESHOLDS);
    try (Connection idle = connect((PGSimpleDataSource) db.dataSource(), "vendor-report")) {
      idle.setAutoCommit(false);
      idle.createStatement().execute("SELECT 'private-value-42'");
      Instant began = Instant.now();

      assertThat(check.run(began.plus(Duration.ofMinutes(4))).status()).isEqualTo(Status.OK);
      CheckResult r = check.run(began.plus(Duration.ofMinutes(6)));

      assertThat(r.status()).isEqualTo(Status.WARNING);
      assertThat(r.summary()).contains("(vendor-report) idle in a transaction for 6 min");
      assertThat(Json.write(r)).doesNotContain("private-value-42");
    }
  }

  @Test
  void aLongLockWaitNamesTheWaitingAndTheBlockingApplicationsWithoutTheirQueries() throws Exception {
    Database db = TestDatabase.fresh();
    db.jdbi().useHandle(h -> h.execute("CREATE TABLE public.contended (id int PRIMARY KEY, v text); INSERT INTO public.contended VALUES (1, 'a')"));
    var check = new DatabaseCheck(db.jdbi(), THRESHOLDS);
    var ds = (PGSimpleDataSource) db.dataSource();
    try (Connection holder = connect(ds, "nightly-merge"); Connection waiter = connect(ds, "vendor-upload")) {
      holder.setAutoCommit(false);
      holder.createStatement().execute("UPDATE public.contended SET v = 'held-secret-1' WHERE id = 1");
      CompletableFuture<Integer> blocked = Races.async(() -> {
        try {
          return waiter.createStatement().executeUpdate("UPDATE public.contended SET v = 'waiting-secret-2' WHERE id = 1");
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      });
      Races.awaitDoneOrBlocked(db, blocked);
      Instant waitStarted = db.jdbi().withHandle(h -> h.createQuery("SELECT waitstart FROM pg_locks WHERE NOT granted")
          .mapTo(java.time.OffsetDateTime.class).one()).toInstant();

      // the limit is one minute: a second either side of it
      assertThat(check.run(waitStarted.plus(Duration.ofSeconds(59))).findings())
          .noneMatch(x -> x.subject().startsWith("lock wait"));
      CheckResult r = check.run(waitStarted.plus(Duration.ofSeconds(61)));

      assertThat(r.status()).isEqualTo(Status.WARNING);
      assertThat(r.summary()).contains("(vendor-upload) waiting 61 s for a lock held by session")
          .contains("(nightly-merge, idle in transaction)");
      assertThat(Json.write(r)).doesNotContain("secret");
      holder.rollback();
      assertThat(blocked.get()).isEqualTo(1);
    }
  }
}
