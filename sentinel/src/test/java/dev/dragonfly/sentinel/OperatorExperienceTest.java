package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.intake.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a newcomer meets first, from README alone: each finding of their trial, as a shell runs it. */
class OperatorExperienceTest {
  @TempDir Path dir;

  @Test
  void theEmbeddedDataLivesUnderHomeAsUnixToolsReadItAndItsPlaceIsSaidOnceWhenCreated() throws Exception {
    Path home = dir.resolve("home");
    Path file = dir.resolve("one.csv");
    Files.writeString(file, Fixtures.csv(Fixtures.row("C-1")));
    Map<String, String> env = Map.of("HOME", home.toString());
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    PrintStream original = System.err;
    Cli.Run first;
    Cli.Run doctor;
    System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
    try {
      first = Cli.run(env, "ingest", file.toString(), "--source", "judgments");
      doctor = Cli.run(env, "doctor");
    } finally {
      System.setErr(original);
    }
    Path data = home.resolve(".dragonfly-intake").resolve("pg17");
    assertThat(first.out()).startsWith("batch 1 completed");
    assertThat(data.resolve("PG_VERSION")).hasContent("17");
    String said = stderr.toString(StandardCharsets.UTF_8);
    assertThat(said).contains("created the embedded PostgreSQL in " + data
        + " (set DRAGONFLY_HOME to keep it elsewhere, or DATABASE_URL to use a server)");
    assertThat(said.split("created the embedded PostgreSQL", -1)).hasSize(2); // once, not on every run
    assertThat(doctor.out()).contains("embedded PostgreSQL in " + data);
    assertThat(Connector.home(Map.of("HOME", home.toString(), "DRAGONFLY_HOME", dir.resolve("x").toString())))
        .isEqualTo(dir.resolve("x"));
  }
}
