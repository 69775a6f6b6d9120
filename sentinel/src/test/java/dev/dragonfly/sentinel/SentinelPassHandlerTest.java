package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.DatabaseUrl;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SentinelPassHandlerTest {
  @Test
  void aPassFailsWhileMigrationsArePendingAndPassesOnceTheyAreApplied() throws Exception {
    try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
      String url = "postgresql://postgres@localhost:" + pg.getPort() + "/postgres";
      var handler = new SentinelPassHandler(SentinelConfig.fromEnv(Map.of("DATABASE_URL", url)));

      assertThatThrownBy(() -> handler.handleRequest(Map.of(), null))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("FAIL migrations: 5 pending");

      Database.connect(DatabaseUrl.parse(url)).migrate();
      assertThat(handler.handleRequest(Map.of(), null)).startsWith("ok   database: PostgreSQL ")
          .contains("ok   migrations: current").contains("ok   sources: judgments");
    }
  }

  @Test
  void anUnreachableDatabaseFailsThePass() {
    var handler = new SentinelPassHandler(SentinelConfig.fromEnv(Map.of("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")));

    assertThatThrownBy(() -> handler.handleRequest(Map.of(), null)).hasMessageContaining("FAIL database: cannot reach");
  }
}
