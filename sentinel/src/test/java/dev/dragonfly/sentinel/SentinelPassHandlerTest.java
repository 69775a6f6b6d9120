package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.intake.Json;
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
}
