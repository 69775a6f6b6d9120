package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker that fails, freezes or dies mid-batch: its batch is given back with the reason, or
 * cut off by the server and taken over, and the next delivery completes it with exact counts.
 */
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

  /** Stands for a failure the pipeline does not expect (a bug, an Error): not a data problem. */
  static final class UnexpectedFailure extends Error {
    UnexpectedFailure() {
      super("unexpected failure", null, false, false);
    }
  }

  private static IntakeHooks atRow(long rows, Runnable action) {
    return new IntakeHooks() {
      @Override public void afterChunk(long batchId, long rowsSoFar) {
        if (rowsSoFar == rows) action.run();
      }
    };
  }

  private void killLoadConnection() {
    TestPipelines.terminateLoadConnections(db);
  }

  private void assertReleasedWithReason(String reason) {
    Batch released = target.batch(1);
    assertThat(released.status()).isEqualTo("uploaded");
    assertThat(released.lastError()).contains(reason);
    assertThat(target.count("SELECT count(*) FROM intake.batches WHERE owner_token IS NOT NULL")).isZero();
    assertThat(target.judgments()).isZero();
  }

  private void assertNextDeliveryCompletesWithExactCounts() {
    IntakeResult r = new IntakePipeline(db, config, Fixtures.CLOCK).ingest(ref("big.csv"), stream(file()), LENIENT);
    assertThat(r.batchId()).isEqualTo(1);
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.counts()).isEqualTo(new BatchCounts(100, 90, 10, 90, 0, 0));
    assertThat(target.judgments()).isEqualTo(90);
    assertThat(target.errors(1)).hasSize(10);
    assertThat(target.batch(1).lastError()).isNull();
  }

  @Test
  void loadConnectionFailingRightAfterTheClaimReleasesTheBatchAndTheNextDeliveryCompletesIt() {
    var borrows = new FailingBorrows(db.dataSource());
    Database flaky = new Database(borrows);
    var pipeline = new IntakePipeline(flaky, config.withTransientRetries(0), Fixtures.CLOCK, new IntakeHooks() {
      @Override public void afterClaim(long batchId) {
        borrows.failNext(); // the next borrow is the load connection's
      }
    });

    assertThatThrownBy(() -> pipeline.ingest(ref("big.csv"), stream(file()), LENIENT))
        .isInstanceOf(DatabaseUnavailableException.class);

    assertReleasedWithReason("cannot connect to the database");
    assertNextDeliveryCompletesWithExactCounts();
  }

  @Test
  void copyFailingMidFileReleasesTheBatchAndTheNextDeliveryCompletesIt() {
    var pipeline = new IntakePipeline(db, config.withTransientRetries(0), Fixtures.CLOCK,
        atRow(30, this::killLoadConnection));

    assertThatThrownBy(() -> pipeline.ingest(ref("big.csv"), stream(file()), LENIENT))
        .isInstanceOf(IntakeFailedException.class);

    assertReleasedWithReason("database error 57P01");
    assertNextDeliveryCompletesWithExactCounts();
  }

  @Test
  void droppedConnectionIsRetriedInProcessAsANewAttempt() {
    var killedOnce = new AtomicBoolean();
    var pipeline = new IntakePipeline(db, config.withTransientRetries(1), Fixtures.CLOCK,
        atRow(30, () -> {
          if (killedOnce.compareAndSet(false, true)) killLoadConnection();
        }));

    IntakeResult r = pipeline.retryingTransientFailures(() -> pipeline.ingest(ref("big.csv"), stream(file()), LENIENT));

    assertThat(killedOnce).isTrue();
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.counts()).isEqualTo(new BatchCounts(100, 90, 10, 90, 0, 0));
    assertThat(target.judgments()).isEqualTo(90);
  }

  @Test
  void runFailingUnexpectedlyMidFileGivesItsBatchBack() {
    var pipeline = new IntakePipeline(db, config, Fixtures.CLOCK, atRow(30, () -> {
      throw new UnexpectedFailure();
    }));

    assertThatThrownBy(() -> pipeline.ingest(ref("big.csv"), stream(file()), LENIENT))
        .isInstanceOf(UnexpectedFailure.class);

    assertReleasedWithReason("unexpected failure");
    // errors the failed attempt had written (it buffers them, so write some as if it had flushed)
    db.jdbi().useHandle(h -> RowErrors.append(h, 1, 1,
        List.of(new RowError(11L, "judgment_amount", ErrorCode.INVALID_AMOUNT, "from the failed attempt"))));
    assertNextDeliveryCompletesWithExactCounts();
    assertThat(target.errors(1)).noneSatisfy(e -> assertThat(e.message()).isEqualTo("from the failed attempt"));
  }

  @Test
  void workerFrozenBetweenStatementsIsCutOffByTheServerBeforeAnyoneTakesItOver() throws Exception {
    // real milliseconds for the server's idle-in-transaction timeout (half the stale window: 200 ms);
    // the stale window itself passes on the test's lease clock
    IntakeConfig quick = config.withTiming(Duration.ofMillis(100), Duration.ofMillis(400)).withTransientRetries(0);
    MovableLeaseClock leases = new MovableLeaseClock();
    Pause frozen = new Pause();
    var stuck = new IntakePipeline(db, quick, Fixtures.CLOCK, atRow(30, frozen::here), new ManualHeartbeats(), leases);
    CompletableFuture<IntakeResult> stuckRun = Races.async(() -> stuck.ingest(ref("big.csv"), stream(file()), LENIENT));
    frozen.awaitReached(); // 30 rows written in its open transaction, holding their keys

    // nobody takes it over: the server alone ends the idle transaction, and its locks with it
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (loadSessions() > 0 && System.nanoTime() < deadline) Thread.sleep(10);
    assertThat(loadSessions()).as("the frozen worker's load session").isZero();

    leases.advance(quick.staleAfter().plusMillis(1));
    var other = new IntakePipeline(db, quick, Fixtures.CLOCK, IntakeHooks.NONE, new ManualHeartbeats(), leases);
    IntakeResult r = other.ingest(ref("big.csv"), stream(file()), LENIENT);
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.counts()).isEqualTo(new BatchCounts(100, 90, 10, 90, 0, 0));

    frozen.release(); // it wakes up to a closed transaction, and a claim that is no longer its own
    assertThatThrownBy(stuckRun::join).isInstanceOf(CompletionException.class);
    assertThat(target.batch(1).status()).isEqualTo("completed");
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE last_batch_id = 1")).isEqualTo(90);
  }

  private long loadSessions() {
    return target.count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        + "AND application_name LIKE 'dragonfly-intake load %'");
  }

  @Test
  void jvmKilledMidBatchIsTakenOverWithExactCounts(@TempDir Path dir) throws Exception {
    Path input = dir.resolve("killed.csv");
    Files.writeString(input, file());
    KilledWorker.killMidFile(TestDatabase.jdbcUrl(db), input);

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
}
