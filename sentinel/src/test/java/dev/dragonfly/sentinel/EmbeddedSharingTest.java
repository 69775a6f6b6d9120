package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.intake.Fixtures;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** On the embedded default, {@code sentinel --loop} runs while {@code sentinel ingest} runs in another process. */
class EmbeddedSharingTest {
  @Test
  void ingestInASecondProcessJoinsTheEmbeddedServerTheLoopStarted(@TempDir Path home, @TempDir Path dir) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        SentinelCli.class.getName(), "--loop", "--interval", "200ms", "--port", "0");
    pb.environment().remove("DATABASE_URL");
    pb.environment().put("DRAGONFLY_HOME", home.toString());
    pb.redirectErrorStream(true);
    Process loop = pb.start();
    StringBuilder seen = new StringBuilder();
    try (var out = new BufferedReader(new InputStreamReader(loop.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.contains(" pass in ")) seen.append(line).append('\n');
      assertThat(line).as("the loop's first pass on the embedded server:%n%s", seen).isNotNull();

      Path file = dir.resolve("while-watched.csv");
      Files.writeString(file, Fixtures.csv(Fixtures.row("C-1"), Fixtures.row("C-2")));
      Cli.Run ingest = Cli.run(Map.of("DRAGONFLY_HOME", home.toString()), "ingest", file.toString(), "--source", "judgments");

      assertThat(ingest.exitCode()).as(ingest.err()).isZero();
      assertThat(ingest.out()).startsWith("batch 1 completed: 2 rows");
      assertThat(loop.isAlive()).as("the loop kept the server it started").isTrue();
      loop.toHandle().destroy();
      out.lines().forEach(l -> seen.append(l).append('\n'));
      assertThat(loop.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally { // whatever failed above, the loop (and the server it started) must not outlive the test
      if (loop.isAlive()) {
        loop.toHandle().destroy();
        if (!loop.waitFor(30, TimeUnit.SECONDS)) loop.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    assertThat(seen.toString()).doesNotContain("cannot start the embedded PostgreSQL").doesNotContain("Exception");
  }
}
