package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.intake.Fixtures;
import dev.dragonfly.intake.IngestOptions;
import dev.dragonfly.intake.IntakeConfig;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.intake.IntakeResult;
import dev.dragonfly.intake.ObjectRef;
import dev.dragonfly.sentinel.check.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 24 simulated hours of real sentinel passes, one every 5 minutes on a clock the test moves,
 * over a pipeline with normal traffic: every check runs (PostgREST on its stand-in), alerts go
 * to the Slack stand-in and the SNS stand-in.
 */
class AlertSoakTest {
  private static final Duration INTERVAL = Duration.ofMinutes(5);
  private static final int PASSES_A_DAY = (int) (Duration.ofDays(1).toMinutes() / INTERVAL.toMinutes());

  private final AlertFixture f = new AlertFixture();
  private final PostgrestStandIn postgrest = new PostgrestStandIn(f.db, "public");
  private final IntakePipeline pipeline = new IntakePipeline(f.db, IntakeConfig.defaults(), f.clock, f.clock);
  @TempDir Path dir;

  AlertSoakTest() throws Exception {}

  @AfterEach
  void close() throws Exception {
    postgrest.close();
    f.close();
  }

  private SentinelFactory.Built sentinel() {
    Map<String, String> env = f.botEnv();
    env.put("SLACK_WARNINGS_CHANNEL", "#warnings");
    env.put("SENTINEL_INTERVAL", "5m");
    env.put("POSTGREST_URL", postgrest.url().toString());
    env.put("POSTGREST_RELOAD_DEADLINE", "3s");
    SentinelConfig config = SentinelConfig.fromEnv(env);
    return SentinelFactory.build(config, f.db, f.clock, new SentinelFactory.Clients(Optional.empty(), Optional.of(f.snsClient),
        config.alerts().slackToken()), f.sleeper);
  }

  /** An hour's file: 200 rows, 2 of them invalid (1%); at hours 3, 11 and 19 also a file rejected at 15% invalid. */
  private void hourOfTraffic(int hour) throws Exception {
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) rows.add(Fixtures.row("H" + hour + "-" + i, i < 2 ? "not-an-amount" : "1" + i + ".00"));
    IntakeResult hourly = ingest("hourly-" + hour + ".csv", rows);
    assertThat(hourly.status()).isEqualTo("completed");
    if (hour % 8 == 3) {
      List<String> bad = new ArrayList<>();
      for (int i = 0; i < 20; i++) bad.add(Fixtures.row("R" + hour + "-" + i, i < 3 ? "not-an-amount" : "2" + i + ".00"));
      assertThat(ingest("rejected-" + hour + ".csv", bad).status()).isEqualTo("failed");
    }
  }

  private IntakeResult ingest(String name, List<String> rows) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, Fixtures.csv(rows.toArray(String[]::new)));
    return pipeline.ingest(new ObjectRef("judgments", file.toString(), "v1"), Files.newInputStream(file), IngestOptions.DEFAULT);
  }

  /** A worker that claimed a file and died: its batch is in staging with a heartbeat that will go silent. */
  private long workerDiesOn(String name) throws Exception {
    Path file = dir.resolve(name);
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < 50; i++) rows.add(Fixtures.row("W-" + i));
    Files.writeString(file, Fixtures.csv(rows.toArray(String[]::new)));
    return f.db.jdbi().withHandle(h -> h.createQuery("""
            INSERT INTO intake.batches (source, object_key, object_version, status, owner_token, heartbeat_at, started_at,
                                        error_threshold_percent)
            VALUES ('judgments', :key, 'v1', 'staging', gen_random_uuid(), :now, :now, 10) RETURNING id""")
        .bind("key", file.toString()).bind("now", f.clock.instant()).mapTo(Long.class).one());
  }

  @Test
  void aHealthyDayWithNormalTrafficAndAFewRejectedBatchesSendsNothing() throws Exception {
    try (SentinelFactory.Built built = sentinel()) {
      for (int pass = 0; pass < PASSES_A_DAY; pass++) {
        if (pass % 12 == 0) hourOfTraffic(pass / 12);
        Report report = built.sentinel().runOnce(f.clock.instant());
        assertThat(report.status()).as("pass %d: %s", pass, report.lines()).isEqualTo(Status.OK);
        f.clock.advance(INTERVAL);
      }
    }
    assertThat(f.count("SELECT count(*) FROM intake.batches WHERE status = 'failed'")).isEqualTo(3);
    assertThat(f.slack.calls()).isEmpty();
    assertThat(f.sns.published()).isEmpty();
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents")).isZero();
  }

  @Test
  void theSameDayWithAStuckWorkerAndAStaleSchemaCacheHasExactlyOneIncidentEachBothResolved() throws Exception {
    Instant workerDied = null;
    try (SentinelFactory.Built built = sentinel()) {
      for (int pass = 0; pass < PASSES_A_DAY; pass++) {
        if (pass % 12 == 0) hourOfTraffic(pass / 12);
        if (pass == 6 * 12 + 1) {
          workerDiesOn("dies.csv");
          workerDied = f.clock.instant();
        }
        if (pass == 12 * 12 + 1) f.db.jdbi().useHandle(h -> h.execute("CREATE TABLE public.soak_orders (id int)"));
        built.sentinel().runOnce(f.clock.instant());
        built.localRedriver().orElseThrow().awaitQueued(Duration.ofSeconds(30));
        f.clock.advance(INTERVAL);
      }
    }
    assertThat(workerDied).isNotNull();
    assertThat(f.count("SELECT count(*) FROM intake.batches WHERE object_key LIKE '%dies.csv' AND status = 'completed'")).isEqualTo(1);
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents")).isEqualTo(2);
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE status = 'resolved'")).isEqualTo(2);
    List<String> checks = f.db.jdbi().withHandle(h -> h.createQuery("SELECT check_name FROM intake.alert_incidents ORDER BY id")
        .mapTo(String.class).list());
    assertThat(checks).containsExactly("stuck_batches", "schema_cache");
    // each: posted once to #warnings, then resolved: the message updated and its thread told
    assertThat(f.slack.posts()).isEqualTo(2);
    assertThat(f.slack.updates()).isEqualTo(2);
    assertThat(f.slack.replies()).isEqualTo(2);
    assertThat(f.slack.taken().stream().filter(SlackStandIn.Call::isPost).map(c -> c.field("channel")))
        .containsOnly("#warnings");
    assertThat(f.sns.published()).isEmpty(); // warnings do not page
  }
}
