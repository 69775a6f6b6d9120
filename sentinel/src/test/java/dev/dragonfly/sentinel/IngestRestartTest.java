package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.intake.Json;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sentinel ingest} with no sentinel running, while PostgreSQL restarts under its load: the
 * command's own retry takes its claim back and prints {@code completed} with every row.
 */
class IngestRestartTest {
  private static final int ROWS = 200_000;
  @TempDir Path dir;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private EmbeddedPostgres start(int port) throws IOException {
    return EmbeddedPostgres.builder().setDataDirectory(dir.resolve("data")).setCleanDataDirectory(false)
        .setPort(port).start();
  }

  private static boolean loading(int port) {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/postgres", "postgres", "");
         ResultSet rs = c.createStatement().executeQuery("""
             SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'dragonfly-intake load %'
               AND state IN ('active', 'idle in transaction')""")) {
      return rs.next() && rs.getLong(1) > 0;
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void aDatabaseRestartMidLoadIsFinishedByTheCommandsOwnRetryWhichPrintsCompleted() throws Exception {
    int port = freePort();
    EmbeddedPostgres server = start(port);
    try {
      Path file = dir.resolve("judgments.csv");
      try (BufferedWriter w = Files.newBufferedWriter(file)) {
        w.write("case_number,plaintiff_name,defendant_name,judgment_amount,judgment_date\n");
        for (int i = 1; i <= ROWS; i++) w.write("RS-" + i + ",Acme Credit LLC,Jane Example,1250.00,2024-03-01\n");
      }
      Map<String, String> env = Map.of("HOME", dir.toString(),
          "DATABASE_URL", "postgresql://postgres@localhost:" + port + "/postgres",
          "INTAKE_TRANSIENT_RETRIES", "6", "INTAKE_CHUNK_ROWS", "1000");
      assertThat(Cli.run(env, "migrate").exitCode()).isZero();

      CompletableFuture<Cli.Run> ingest = CompletableFuture.supplyAsync(
          () -> Cli.run(env, "ingest", file.toString(), "--source", "judgments", "--json"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!loading(port) && !ingest.isDone() && System.nanoTime() < deadline) Thread.sleep(2);
      assertThat(ingest).as("the load was still running when the database restarted").isNotDone();
      server.close(); // every session of the command ends with it
      server = start(port);

      Cli.Run r = ingest.get(120, TimeUnit.SECONDS);
      assertThat(r.exitCode()).as(r.err()).isZero();
      JsonNode result = Json.readTree(r.out());
      assertThat(result.path("status").asText()).isEqualTo("completed");
      assertThat(result.path("attempt").asInt()).isGreaterThanOrEqualTo(2);
      assertThat(result.path("rows_inserted").asLong()).isEqualTo(ROWS);
      try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/postgres", "postgres", "");
           ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM intake.judgments")) {
        rs.next();
        assertThat(rs.getLong(1)).isEqualTo(ROWS);
      }
    } finally {
      server.close();
    }
  }
}
