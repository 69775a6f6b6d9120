package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real PostgreSQL restart in the middle of a load, with no sentinel running: the worker's own
 * in-process retry finds its own claim (its release failed with the database gone, so its heartbeat
 * still looks fresh), takes it over at once and completes the batch with exact rows.
 */
class OwnRetryAfterRestartTest {
  @TempDir Path data;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private EmbeddedPostgres start(int port) throws IOException {
    return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port).start();
  }

  @Test
  void databaseRestartMidLoadIsFinishedByTheWorkersOwnRetryWithExactRows() throws Exception {
    int port = freePort();
    EmbeddedPostgres[] server = {start(port)};
    try {
      var ds = new PGSimpleDataSource();
      ds.setServerNames(new String[] {"localhost"});
      ds.setPortNumbers(new int[] {port});
      ds.setDatabaseName("postgres");
      ds.setUser("postgres");
      Database db = new Database(ds);
      db.migrate();

      AtomicBoolean restarted = new AtomicBoolean();
      IntakeHooks restartMidLoad = new IntakeHooks() {
        @Override public void afterChunk(long batchId, long rowsSoFar) {
          if (rowsSoFar == 30 && restarted.compareAndSet(false, true)) {
            try {
              server[0].close(); // every session of the worker ends with it
              server[0] = start(port);
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          }
        }
      };
      IntakeConfig config = IntakeConfig.defaults().withChunkRows(10);
      var pipeline = new IntakePipeline(db, config, Fixtures.CLOCK, restartMidLoad, new ManualHeartbeats());
      List<String> rows = new ArrayList<>();
      for (int i = 1; i <= 100; i++) rows.add(row("R-" + i));
      String file = csv(rows.toArray(String[]::new));
      ObjectRef ref = new ObjectRef("judgments", "incoming/judgments/restart.csv", "v1");

      IntakeResult r = pipeline.retryingTransientFailures(() -> pipeline.ingest(ref, stream(file), IngestOptions.DEFAULT));

      assertThat(restarted).isTrue();
      assertThat(r.status()).isEqualTo("completed");
      assertThat(r.attempt()).isEqualTo(2);
      assertThat(r.counts()).isEqualTo(new BatchCounts(100, 100, 0, 100, 0, 0));
      Target target = new Target(db);
      assertThat(target.judgments()).isEqualTo(100);
      assertThat(target.batch(r.batchId()).status()).isEqualTo("completed");
      assertThat(target.count("SELECT count(*) FROM intake.batches")).isEqualTo(1);
    } finally {
      server[0].close();
    }
  }
}
