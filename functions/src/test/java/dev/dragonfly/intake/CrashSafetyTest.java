package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker that dies or stalls mid-batch: taken over after the stale window, exact counts, no doubled rows. */
class CrashSafetyTest {
  private static final IngestOptions LENIENT = IngestOptions.DEFAULT.withThreshold(new BigDecimal("100"));
  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private final IntakeConfig config = IntakeConfig.defaults().withChunkRows(10);

  /** 100 rows, every tenth one invalid. */
  static String file() {
    List<String> rows = new ArrayList<>();
    for (int i = 1; i <= 100; i++) rows.add(row("C-" + i, i % 10 == 0 ? "bad" : i + ".00"));
    return csv(rows.toArray(String[]::new));
  }

  /** Stands for a worker that dies: not an exception the pipeline handles, so nothing is released. */
  static final class SimulatedCrash extends Error {
    SimulatedCrash() {
      super("simulated crash", null, false, false);
    }
  }

  @Test
  void runThatDiesAfterNRowsIsTakenOverAfterTheStaleWindowWithExactCounts() {
    IntakeHooks dieAfter30Rows = new IntakeHooks() {
      @Override public void afterChunk(long batchId, long rowsSoFar) {
        if (rowsSoFar >= 30) throw new SimulatedCrash();
      }
    };
    var dying = new IntakePipeline(db, config, Fixtures.CLOCK, dieAfter30Rows);
    assertThatThrownBy(() -> dying.ingest(ref("big.csv"), stream(file()), LENIENT)).isInstanceOf(SimulatedCrash.class);
    Batch crashed = target.batch(1);
    assertThat(crashed.status()).isEqualTo("staging");
    assertThat(target.judgments()).isZero();

    var healthy = new IntakePipeline(db, config, Fixtures.CLOCK);
    // within the stale window the claim is still respected
    assertThat(healthy.ingest(ref("big.csv"), stream(file()), LENIENT).status()).isEqualTo("in_progress");

    // errors the dead attempt had written (it buffers them, so write some as if it had flushed)
    db.jdbi().useHandle(h -> RowErrors.append(h, crashed.id(), 1,
        List.of(new RowError(11L, "judgment_amount", ErrorCode.INVALID_AMOUNT, "from the dead attempt"))));

    target.ageHeartbeat(crashed.id());
    IntakeResult r = healthy.ingest(ref("big.csv"), stream(file()), LENIENT);

    assertThat(r.batchId()).isEqualTo(crashed.id());
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.counts()).isEqualTo(new BatchCounts(100, 90, 10, 90, 0, 0));
    assertThat(target.judgments()).isEqualTo(90);
    assertThat(target.errors(r.batchId())).hasSize(10) // the dead attempt's errors are not current
        .noneSatisfy(e -> assertThat(e.message()).isEqualTo("from the dead attempt"));
    assertThat(target.count("SELECT count(*) FROM intake.row_errors WHERE batch_id = ?", r.batchId()))
        .isEqualTo(10 + 1);
  }

  @Test
  void originalWorkerResumedAfterTakeoverCanNeitherWriteNorFinalize() throws Exception {
    CountDownLatch claimed = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    IntakeHooks stallAfterClaim = new IntakeHooks() {
      @Override public void afterClaim(long batchId) {
        claimed.countDown();
        await(resume);
      }
    };
    var zombie = new IntakePipeline(db, config, Fixtures.CLOCK, stallAfterClaim);
    CompletableFuture<IntakeResult> zombieRun = CompletableFuture.supplyAsync(
        () -> zombie.ingest(ref("big.csv"), stream(file().replace("1.00", "999.00")), LENIENT));
    assertThat(claimed.await(30, TimeUnit.SECONDS)).isTrue();

    target.ageHeartbeat(1);
    IntakeResult winner = new IntakePipeline(db, config, Fixtures.CLOCK).ingest(ref("big.csv"), stream(file()), LENIENT);
    assertThat(winner.status()).isEqualTo("completed");
    var afterWinner = target.snapshot("judgments");
    resume.countDown();

    assertThatThrownBy(zombieRun::join).hasCauseInstanceOf(ClaimLostException.class);
    assertThat(target.snapshot("judgments")).isEqualTo(afterWinner);
    Batch b = target.batch(winner.batchId());
    assertThat(b.status()).isEqualTo("completed");
    assertThat(b.attempt()).isEqualTo(2);
    assertThat(b.rowsInserted()).isEqualTo(90);
    assertThat(target.judgment("C-1")).containsEntry("judgment_amount", new BigDecimal("1.00"));
    assertThat(target.errors(winner.batchId())).hasSize(10);
  }

  @Test
  void jvmKilledMidBatchIsTakenOverWithExactCounts(@TempDir Path dir) throws Exception {
    Path input = dir.resolve("killed.csv");
    Files.writeString(input, file());
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        KilledWorker.class.getName(), TestDatabase.jdbcUrl(db), input.toString())
        .redirectErrorStream(true).start();
    try (var out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      StringBuilder seen = new StringBuilder();
      while ((line = out.readLine()) != null && !line.startsWith(KilledWorker.READY)) {
        seen.append(line).append('\n'); // the child's log, until it has loaded rows in its open transaction
      }
      assertThat(line).as("child ended before it loaded rows:%n%s", seen).isNotNull();
    }
    child.destroyForcibly(); // SIGKILL: no finally blocks, no shutdown hooks
    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();

    Batch dead = target.batch(1);
    assertThat(dead.status()).isEqualTo("staging");
    target.ageHeartbeat(dead.id());
    IntakeResult r = new IntakePipeline(db, config, Fixtures.CLOCK).ingest(
        KilledWorker.ref(input), Files.newInputStream(input), LENIENT);

    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.counts()).isEqualTo(new BatchCounts(100, 90, 10, 90, 0, 0));
    assertThat(target.judgments()).isEqualTo(90);
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE last_batch_id = ?", r.batchId())).isEqualTo(90);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The child JVM of the kill test: loads some rows, says so, and waits to be killed. */
  public static final class KilledWorker {
    static final String READY = "LOADED";

    static ObjectRef ref(Path input) {
      return new ObjectRef("judgments", input.toString(), "v1");
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
      new IntakePipeline(db, IntakeConfig.defaults().withChunkRows(10), Fixtures.CLOCK, waitToBeKilled)
          .ingest(ref(input), Files.newInputStream(input), LENIENT);
    }
  }
}
