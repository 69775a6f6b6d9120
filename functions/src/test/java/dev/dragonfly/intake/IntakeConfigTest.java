package dev.dragonfly.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IntakeConfigTest {
  @Test
  void defaultsWhenTheEnvironmentIsEmpty() {
    IntakeConfig c = IntakeConfig.fromEnv(Map.of());

    assertThat(c.databaseUrl()).isEmpty();
    assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.staleAfter()).isEqualTo(Duration.ofSeconds(45));
    assertThat(c.idleInTransactionTimeout()).isEqualTo(Duration.ofMillis(22_500));
    assertThat(c.transientRetries()).isEqualTo(3);
  }

  @Test
  void readsEveryVariable() {
    IntakeConfig c = IntakeConfig.fromEnv(Map.of("DATABASE_URL", "postgresql://u@h/db",
        "INTAKE_HEARTBEAT_INTERVAL", "PT5S", "INTAKE_STALE_AFTER", "PT1M", "INTAKE_CHUNK_ROWS", "100"));

    assertThat(c.databaseUrl().orElseThrow().jdbcUrl()).isEqualTo("jdbc:postgresql://h/db");
    assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.staleAfter()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.chunkRows()).isEqualTo(100);
  }

  @Test
  void malformedValuesNameTheVariable() {
    assertThatThrownBy(() -> IntakeConfig.fromEnv(Map.of("INTAKE_STALE_AFTER", "2 minutes")))
        .hasMessage("INTAKE_STALE_AFTER is not an ISO-8601 duration such as PT10S: 2 minutes");
    assertThatThrownBy(() -> IntakeConfig.fromEnv(Map.of("INTAKE_STALE_AFTER", "PT10S")))
        .hasMessage("staleAfter < 3 * heartbeatInterval: PT10S < 3 * PT10S");
  }
}
