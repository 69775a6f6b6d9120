package dev.dragonfly.intake;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A worker to kill: run as a child JVM ({@code main(jdbcUrl, file)}), it claims the file as
 * batch {@link #ref}, loads rows in its open transaction, prints {@link #READY} and waits to be
 * killed (SIGKILL: no finally blocks, no shutdown hooks). Its heartbeat is on the database's
 * clock shifted onto {@link Fixtures#CLOCK}, so a test's clock decides when it went silent.
 */
public final class KilledWorker {
  public static final String READY = "LOADED";

  private KilledWorker() {}

  public static ObjectRef ref(Path input) {
    return new ObjectRef("judgments", input.toString(), "v1");
  }

  /** Runs a worker on {@code input} in a child JVM and kills it once it has loaded rows mid-file. */
  public static void killMidFile(String jdbcUrl, Path input) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        KilledWorker.class.getName(), jdbcUrl, input.toString())
        .redirectErrorStream(true).start();
    try (var out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      StringBuilder seen = new StringBuilder();
      while ((line = out.readLine()) != null && !line.startsWith(READY)) {
        seen.append(line).append('\n'); // the child's log, until it has loaded rows in its open transaction
      }
      if (line == null) throw new IllegalStateException("child ended before it loaded rows:\n" + seen);
    }
    child.destroyForcibly(); // SIGKILL: no finally blocks, no shutdown hooks
    if (!child.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("killed child did not end");
  }

  public static void main(String[] args) throws Exception {
    Database db = Database.connect(DatabaseUrl.parse(args[0]));
    Path input = Path.of(args[1]);
    IntakeHooks waitToBeKilled = new IntakeHooks() {
      @Override public void afterChunk(long batchId, long rowsSoFar) {
        if (rowsSoFar >= 30) {
          System.out.println(READY + " " + rowsSoFar);
          System.out.flush();
          try {
            Thread.sleep(Duration.ofMinutes(5).toMillis());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    };
    new IntakePipeline(db, IntakeConfig.defaults().withChunkRows(10), Fixtures.CLOCK, waitToBeKilled,
        HeartbeatTimer.THREAD, new MutableClock(Fixtures.CLOCK.instant()))
        .ingest(ref(input), Files.newInputStream(input), IngestOptions.DEFAULT.withThreshold(new BigDecimal("100")));
  }
}
