package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.functions.LocalS3;
import dev.dragonfly.functions.SnsFake;
import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Json;
import dev.dragonfly.intake.TestDatabase;
import java.time.Duration;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SentinelPassHandlerTest {
  private static final SentinelFactory.Clients NO_AWS = new SentinelFactory.Clients(Optional.empty(), Optional.empty());

  @Test
  void aPassOverANewDatabaseMigratesItAndReportsEveryCheck() throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      String url = "postgresql://postgres@localhost:" + pg.getPort() + "/postgres";
      var handler = new SentinelPassHandler(SentinelConfig.fromEnv(Map.of("DATABASE_URL", url)), Clock.systemUTC(), NO_AWS);

      JsonNode report = Json.readTree(handler.handleRequest(Map.of(), null));

      assertThat(report.path("schema_version").asInt()).isEqualTo(Report.SCHEMA_VERSION);
      assertThat(report.path("status").asText()).isEqualTo("ok");
      List<String> checks = new ArrayList<>();
      report.path("checks").forEach(c -> checks.add(c.path("check").asText()));
      assertThat(checks).contains("stuck_batches", "error_spike", "database", "self");
      assertThat(checks.get(checks.size() - 1)).isEqualTo("self");
    }
  }

  @Test
  void anUnreachableDatabaseFailsTheInvocationNamingTheChecksThatCouldNotRun() {
    var handler = new SentinelPassHandler(
        SentinelConfig.fromEnv(Map.of("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")), Clock.systemUTC(), NO_AWS);

    assertThatThrownBy(() -> handler.handleRequest(Map.of(), null))
        .hasMessageStartingWith("sentinel pass unknown: ")
        .hasMessageContaining("stuck_batches: could not run: database error 08001");
  }

  /**
   * The sentinel judges heartbeats on the database's clock, whatever its own machine's clock says:
   * 40 s ahead, it does not re-drive a worker that beat 10 s ago; 40 s behind, it still re-drives
   * one silent for 50 s (the window is 45 s).
   */
  @Test
  void aSentinelWhoseClockIsFortySecondsOffReDrivesTheSilentBatchAndLeavesTheLiveOneAlone() throws Exception {
    for (Duration skew : List.of(Duration.ofSeconds(40), Duration.ofSeconds(-40))) {
      Database db = TestDatabase.fresh();
      db.jdbi().useHandle(h -> h.execute("""
          INSERT INTO intake.batches (id, source, object_key, object_version, status, owner_token, heartbeat_at,
                                      started_at, error_threshold_percent)
          OVERRIDING SYSTEM VALUE VALUES
            (1, 'judgments', 'incoming/judgments/live.csv', 'v1', 'staging', gen_random_uuid(),
             now() - interval '10 seconds', now() - interval '1 minute', 10),
            (2, 'judgments', 'incoming/judgments/silent.csv', 'v1', 'staging', gen_random_uuid(),
             now() - interval '50 seconds', now() - interval '1 minute', 10)"""));
      try (SnsFake sns = new SnsFake()) {
        var config = SentinelConfig.fromEnv(Map.of("DATABASE_URL", TestDatabase.jdbcUrl(db),
            "EVENTS_TOPIC_ARN", SentinelFixture.TOPIC, "SENTINEL_INSTANCE", "skewed"));
        var handler = new SentinelPassHandler(config, Clock.offset(Clock.systemUTC(), skew),
            new SentinelFactory.Clients(Optional.empty(), Optional.of(LocalS3.sns(sns))));

        JsonNode report = Json.readTree(handler.handleRequest(Map.of(), null));

        JsonNode stuck = null;
        for (JsonNode c : report.path("checks")) if (c.path("check").asText().equals("stuck_batches")) stuck = c;
        assertThat(stuck).as("clock " + skew).isNotNull();
        assertThat(stuck.path("summary").asText()).as("clock " + skew).contains("batch 2 re-driven")
            .doesNotContain("batch 1");
        assertThat(sns.published()).as("clock " + skew).singleElement()
            .satisfies(p -> assertThat(Json.readTree(p.message()).path("batch_id").asLong()).isEqualTo(2));
        String live = db.jdbi().withHandle(h -> h.createQuery("SELECT status FROM intake.batches WHERE id = 1")
            .mapTo(String.class).one());
        assertThat(live).as("clock " + skew).isEqualTo("staging");
      }
    }
  }
}
