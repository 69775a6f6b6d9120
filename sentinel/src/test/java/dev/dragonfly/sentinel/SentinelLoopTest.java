package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.DatabaseUrl;
import dev.dragonfly.intake.Fixtures;
import dev.dragonfly.intake.MutableClock;
import dev.dragonfly.intake.Races;
import dev.dragonfly.intake.TestDatabase;
import dev.dragonfly.sentinel.check.Status;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import okhttp3.mockwebserver.Dispatcher;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sentinel --loop}: passes on time, /healthz and /metrics, outages survived, a clean stop on SIGTERM. */
class SentinelLoopTest {
  private static final SentinelFactory.Clients NO_AWS = new SentinelFactory.Clients(Optional.empty(), Optional.empty());
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void await(List<Report> reports, Predicate<Report> condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (reports.stream().noneMatch(condition)) {
      if (System.nanoTime() > deadline) throw new AssertionError("no pass " + what + " within 60 s: " + reports.size() + " passes");
      Thread.sleep(20);
    }
  }

  private static Database migrated(EmbeddedPostgres pg) {
    Database db = Database.connect(DatabaseUrl.parse("postgresql://postgres@localhost:" + pg.getPort() + "/postgres"), 2);
    db.migrate();
    return db;
  }

  /** Ends every client session (the sentinel's included), then stops the server. */
  private static void stop(Database db, EmbeddedPostgres pg) throws java.io.IOException {
    db.jdbi().useHandle(h -> h.createQuery("""
            SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()""").mapTo(Long.class).one());
    pg.close();
  }

  @Test
  void healthzIsOkWhilePassesRunOnTimeAndLateAfterThreeIntervalsAndMetricsCountThePasses() throws Exception {
    Database db = TestDatabase.fresh();
    MutableClock clock = new MutableClock(Fixtures.CLOCK.instant());
    SentinelConfig config = SentinelConfig.fromEnv(Map.of("SENTINEL_INSTANCE", "loop-test"));
    List<Report> reports = new CopyOnWriteArrayList<>();
    try (SentinelFactory.Built built = SentinelFactory.build(config, db, clock, NO_AWS);
         SentinelLoop loop = new SentinelLoop(() -> built.sentinel().runOnce(clock.instant()), reports::add, clock,
             Duration.ofMinutes(1), 0)) {
      CompletableFuture<Void> running = Races.async(() -> {
        loop.run();
        return null;
      });
      await(reports, r -> true, "at all");

      HttpResponse<String> healthy = get(loop.port(), "/healthz");
      assertThat(healthy.statusCode()).isEqualTo(200);
      assertThat(healthy.body()).startsWith("ok: last pass " + Fixtures.CLOCK.instant() + " (ok)");
      HttpResponse<String> metrics = get(loop.port(), "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("sentinel_passes_total{status=\"ok\"} 1.0")
          .contains("sentinel_check_status{check=\"stuck_batches\"} 0.0")
          .contains("sentinel_pass_duration_seconds_count 1");

      clock.advance(Duration.ofMinutes(3).plusSeconds(1)); // the loop sleeps its real minute; by its clock it is late
      HttpResponse<String> late = get(loop.port(), "/healthz");
      assertThat(late.statusCode()).isEqualTo(503);
      assertThat(late.body()).startsWith("late: last pass ");

      assertThat(loop.stop(Duration.ofSeconds(10))).isTrue();
      running.get(10, TimeUnit.SECONDS);
      assertThat(reports).hasSize(1);
    }
  }

  @Test
  void theLoopSurvivesTheDatabaseTerminatedStoppedAndStartedAgainAndItsNextGoodPassSaysSo(@TempDir Path data)
      throws Exception {
    EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).start();
    int port = pg.getPort();
    Database db = migrated(pg);
    Clock clock = Clock.systemUTC();
    SentinelConfig config = SentinelConfig.fromEnv(Map.of("SENTINEL_INSTANCE", "outage-test", "SENTINEL_UNKNOWN_PASSES", "100"));
    List<Report> reports = new CopyOnWriteArrayList<>();
    try (SentinelFactory.Built built = SentinelFactory.build(config, db, clock, NO_AWS);
         SentinelLoop loop = new SentinelLoop(() -> {
           PassPreparation.migrate(db);
           return built.sentinel().runOnce(clock.instant());
         }, reports::add, clock, Duration.ofMillis(50), 0)) {
      CompletableFuture<Void> running = Races.async(() -> {
        loop.run();
        return null;
      });
      await(reports, r -> r.status() == Status.OK, "ok");

      stop(db, pg);
      int before = reports.size();
      await(reports, r -> reports.indexOf(r) >= before && r.check("database").status() == Status.UNKNOWN,
          "with the database unknown");
      assertThat(running).isNotDone();

      // counted before the restart: a pass that ends between the restart and this line must not
      // become the "previous" pass of the first good one the test inspects
      int down = reports.size();
      pg = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port).start();
      await(reports, r -> reports.indexOf(r) >= down && r.check("database").status() == Status.OK, "with the database back");
      Report recovered = reports.stream().filter(r -> reports.indexOf(r) >= down && r.check("database").status() == Status.OK)
          .findFirst().orElseThrow();
      assertThat(recovered.check("self").summary()).contains("database runs again after").contains("unknown pass(es) since");

      assertThat(loop.stop(Duration.ofSeconds(10))).isTrue();
      running.get(10, TimeUnit.SECONDS);
    } finally {
      pg.close();
    }
  }

  /**
   * The signal lands while a pass runs: PostgREST's stand-in holds the pass's first request
   * until the child said it got the stop, then answers. The pass must end and be printed, no
   * pass may start after it, and the exit is 0 (not 143), which systemd counts as a clean stop.
   */
  @Test
  void sigtermWhileAPassRunsLetsThatPassFinishThenExitsZero() throws Exception {
    Database db = TestDatabase.fresh();
    CountDownLatch inPass = new CountDownLatch(1);
    CountDownLatch signalled = new CountDownLatch(1);
    try (MockWebServer postgrest = new MockWebServer()) {
      postgrest.setDispatcher(new Dispatcher() {
        @Override public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
          if (inPass.getCount() > 0) {
            inPass.countDown();
            if (!signalled.await(60, TimeUnit.SECONDS)) throw new AssertionError("the test never signalled the child");
          }
          return new MockResponse().setHeader("Content-Type", "application/json").setBody("{}");
        }
      });
      postgrest.start();
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
          SentinelCli.class.getName(), "--loop", "--interval", "200ms", "--port", "0");
      pb.environment().put("DATABASE_URL", TestDatabase.jdbcUrl(db));
      pb.environment().put("SENTINEL_INSTANCE", "sigterm-test");
      pb.environment().put("SENTINEL_CHECK_TIME_LIMIT", "60s"); // the held pass ends by the answer, not by a limit
      pb.environment().put("POSTGREST_URL", postgrest.url("/").toString());
      pb.redirectErrorStream(true);
      Process child = pb.start();
      StringBuilder seen = new StringBuilder();
      try (var out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        assertThat(inPass.await(60, TimeUnit.SECONDS)).as("the child's first pass asked PostgREST").isTrue();
        child.toHandle().destroy(); // SIGTERM, while the pass waits for PostgREST
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("sentinel: stop requested")) seen.append(line).append('\n');
        assertThat(line).as(seen.toString()).startsWith("sentinel: stop requested; stopping after the current pass");
        assertThat(seen.toString()).as("no pass ended before the signal").doesNotContain(" pass in ");
        signalled.countDown(); // only now may the held pass go on
        int afterSignal = seen.length();
        out.lines().forEach(l -> seen.append(l).append('\n'));
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String after = seen.substring(afterSignal);
        assertThat(after.lines().filter(l -> l.contains(" pass in "))).as(seen.toString()).hasSize(1); // that pass, no other
        assertThat(after).contains("sentinel stopped after its last pass").doesNotContain("Exception");
        assertThat(child.exitValue()).as(seen.toString()).isZero();
        assertThat(postgrest.getRequestCount()).as("PostgREST requests of the one pass").isPositive();
      } finally {
        signalled.countDown();
        child.destroyForcibly();
      }
    }
  }

  @Test
  void aDatabaseOutageOfSeveralPassesPingsFailAndTurnsHealthzTo503SayingWhyThenBothRecover(@TempDir Path data)
      throws Exception {
    EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).start();
    int port = pg.getPort();
    Database db = migrated(pg);
    Clock clock = Clock.systemUTC();
    BlockingQueue<Report> reports = new LinkedBlockingQueue<>();
    try (MockWebServer deadMansSwitch = new MockWebServer()) {
      deadMansSwitch.setDispatcher(new Dispatcher() {
        @Override public MockResponse dispatch(RecordedRequest request) {
          return new MockResponse().setBody("OK");
        }
      });
      deadMansSwitch.start();
      SentinelConfig config = SentinelConfig.fromEnv(Map.of("SENTINEL_INSTANCE", "outage-ping-test", "SENTINEL_CHECK_TIME_LIMIT", "2s",
          "SENTINEL_UNKNOWN_PASSES", "100", "SENTINEL_PING_URL", deadMansSwitch.url("/ping/abc").toString()));
      try (SentinelFactory.Built built = SentinelFactory.build(config, db, clock, NO_AWS);
           SentinelLoop loop = new SentinelLoop(() -> built.sentinel().runOnce(new PassClock(db, clock)
               .now(PassPreparation.migrate(db))), reports::add, clock, Duration.ofMillis(500), 0)) { // late only after 1.5 s
        CompletableFuture<Void> running = Races.async(() -> {
          loop.run();
          return null;
        });
        Report up = next(reports, deadMansSwitch);
        assertThat(up.status()).isEqualTo(Status.OK);
        assertThat(up.deadMansSwitch()).isEqualTo("pinged");
        assertThat(lastPing).isEqualTo("/ping/abc");
        HttpResponse<String> before = get(loop.port(), "/healthz");
        assertThat(before.statusCode()).as(before.body()).isEqualTo(200);

        stop(db, pg);
        Report down = next(reports, deadMansSwitch);
        while (down.check("database").status() != Status.UNKNOWN) down = next(reports, deadMansSwitch); // the pass running at the stop
        for (int pass = 1; pass <= 5; pass++) {
          assertThat(down.status()).as("pass %d of the outage", pass).isEqualTo(Status.UNKNOWN);
          assertThat(lastPing).as("pass %d of the outage", pass).isEqualTo("/ping/abc/fail");
          assertThat(down.deadMansSwitch()).startsWith("pinged /fail (the pass is unknown (stuck_batches: ")
              .contains("alerts not decided: ").endsWith("; run 'sentinel doctor', and see runbooks/sentinel-self.md)");
          HttpResponse<String> healthz = get(loop.port(), "/healthz");
          assertThat(healthz.statusCode()).isEqualTo(503);
          assertThat(healthz.body()).startsWith("failing: last pass ").contains("(unknown), interval PT0.5S: the pass is unknown (")
              .contains("database: ").contains("alerts not decided: ").contains("run 'sentinel doctor'");
          down = next(reports, deadMansSwitch);
        }
        assertThat(running).isNotDone();

        pg = EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port).start();
        Report back = down;
        while (PassTrouble.of(back).isPresent()) back = next(reports, deadMansSwitch);
        assertThat(back.check("database").status()).isEqualTo(Status.OK);
        assertThat(back.deadMansSwitch()).isEqualTo("pinged");
        assertThat(lastPing).isEqualTo("/ping/abc");
        HttpResponse<String> healthy = get(loop.port(), "/healthz");
        assertThat(healthy.statusCode()).as(healthy.body()).isEqualTo(200);
        assertThat(healthy.body()).startsWith("ok: last pass ");

        assertThat(loop.stop(Duration.ofSeconds(10))).isTrue();
        running.get(10, TimeUnit.SECONDS);
      }
    } finally {
      pg.close();
    }
  }

  /** The path of the dead-man's switch request of the pass {@link #next} returned last. */
  private String lastPing;

  /** The next pass's report, and the one ping it sent (a pass pings before its report is handed over). */
  private Report next(BlockingQueue<Report> reports, MockWebServer deadMansSwitch) throws InterruptedException {
    Report r = reports.poll(60, TimeUnit.SECONDS);
    if (r == null) throw new AssertionError("no pass within 60 s");
    RecordedRequest ping = deadMansSwitch.takeRequest(10, TimeUnit.SECONDS);
    if (ping == null) throw new AssertionError("the pass of " + r.startedAt() + " did not ping");
    lastPing = ping.getPath();
    return r;
  }
}
