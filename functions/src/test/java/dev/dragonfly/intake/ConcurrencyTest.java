package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Races between loads, and between a merge and a rollback, each forced into its dangerous
 * interleaving at a hook: the end state is the same as if they had run one after the other.
 */
class ConcurrencyTest {
  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private final IntakeConfig config = IntakeConfig.defaults().withChunkRows(4).withTransientRetries(0);

  private static String file(String amount, int n) {
    List<String> rows = new ArrayList<>();
    for (int i = 1; i <= n; i++) rows.add(row("C-" + i, amount));
    return csv(rows.toArray(String[]::new));
  }

  private IntakeResult ingest(IntakePipeline pipeline, String key, String content) {
    return pipeline.ingest(ref(key), stream(content), IngestOptions.DEFAULT);
  }

  @Test
  void sameContentUnderTwoKeysConcurrentlyCompletesOnceAndTheOtherIsItsDuplicate() throws Exception {
    var plain = new IntakePipeline(db, config, Fixtures.CLOCK);
    ingest(plain, "first.csv", file("1.00", 10)); // the rows exist: both loads stage them, holding no row lock
    String update = file("2.00", 10);
    CyclicBarrier bothLoaded = new CyclicBarrier(2);
    AtomicInteger checked = new AtomicInteger();
    var racing = new IntakePipeline(db, config, Fixtures.CLOCK, new IntakeHooks() {
      @Override public void beforeContentCheck(long batchId) {
        try {
          bothLoaded.await(30, TimeUnit.SECONDS); // neither has looked for the other yet
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }

      @Override public void afterContentCheck(long batchId) {
        // The first to check stays uncommitted until the other has checked too, or waits at the
        // check's lock: only the lock can make the second see the first's completion.
        checked.incrementAndGet();
        try {
          while (checked.get() < 2 && !Races.someoneWaitsForALock(db)) Thread.sleep(5);
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
    });

    CompletableFuture<IntakeResult> a = Races.async(() -> ingest(racing, "a.csv", update));
    CompletableFuture<IntakeResult> b = Races.async(() -> ingest(racing, "b.csv", update));
    List<IntakeResult> results = List.of(a.get(30, TimeUnit.SECONDS), b.get(30, TimeUnit.SECONDS));

    IntakeResult winner = results.stream().filter(r -> r.status().equals("completed")).findFirst().orElseThrow();
    IntakeResult other = results.stream().filter(r -> r != winner).findFirst().orElseThrow();
    assertThat(other.status()).isEqualTo("duplicate");
    assertThat(other.duplicateOf()).isEqualTo(winner.batchId());
    assertThat(target.batch(other.batchId()).duplicateOf()).isEqualTo(winner.batchId());
    assertThat(winner.counts()).isEqualTo(new BatchCounts(10, 10, 0, 0, 10, 0));
    // each row written once: one history row per key, all by the winner
    assertThat(target.count("SELECT count(*) FROM intake.judgment_history")).isEqualTo(10);
    assertThat(target.count("SELECT count(*) FROM intake.judgment_history WHERE batch_id = ?", winner.batchId()))
        .isEqualTo(10);
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE last_batch_id = ?", winner.batchId()))
        .isEqualTo(10);
  }

  /**
   * Batch A inserted C-1..C-8; batch B re-sends them with other amounts while A is rolled back.
   * Whatever the order, once B and then A are rolled back (where they completed), no row of a
   * rolled-back batch may be live, and at every step each live row belongs to a completed batch.
   */
  private void assertConsistentAfterRollingEverythingBack(long a, IntakeResult b) {
    assertLiveRowsBelongToCompletedBatches();
    var rollbacks = new Rollbacks(db.jdbi());
    if (b.status().equals("completed")) rollbacks.rollback(b.batchId(), "test: undo B");
    assertLiveRowsBelongToCompletedBatches();
    if (target.batch(a).status().equals("completed")) rollbacks.rollback(a, "test: undo A");
    assertLiveRowsBelongToCompletedBatches();
    assertThat(target.live()).isZero();
  }

  private void assertLiveRowsBelongToCompletedBatches() {
    assertThat(target.count("""
        SELECT count(*) FROM intake.judgments j JOIN intake.batches b ON b.id = j.last_batch_id
        WHERE NOT j.rolled_back AND b.status <> 'completed'""")).as("live rows of batches not completed").isZero();
  }

  /** B's file: A's eight keys, changed (2.00) or as A wrote them (1.00), and one new key. */
  private static String fileB(String amount) {
    List<String> rows = new ArrayList<>();
    for (int i = 1; i <= 8; i++) rows.add(row("C-" + i, amount));
    rows.add(row("C-9", "9.00"));
    return csv(rows.toArray(String[]::new));
  }

  @ParameterizedTest(name = "B sends A''s rows at {0}")
  @ValueSource(strings = {"2.00", "1.00"})
  void rollbackCommittingInsideAMergeWaitsForTheMergeAndEndsConsistent(String amount) throws Exception {
    var plain = new IntakePipeline(db, config, Fixtures.CLOCK);
    long a = ingest(plain, "a.csv", file("1.00", 8)).batchId();
    Pause mergeBetweenHistoryAndUpdate = new Pause();
    var merging = new IntakePipeline(db, config, Fixtures.CLOCK, new IntakeHooks() {
      @Override public void afterMergeHistory(long batchId) {
        mergeBetweenHistoryAndUpdate.here();
      }
    });
    CompletableFuture<IntakeResult> b = Races.async(() -> ingest(merging, "b.csv", fileB(amount)));
    mergeBetweenHistoryAndUpdate.awaitReached(); // B has read A's rows into its history

    CompletableFuture<Rollbacks.Outcome> rollbackOfA = Races.async(() -> new Rollbacks(db.jdbi()).rollback(a, "test"));
    Races.awaitDoneOrBlocked(db, rollbackOfA);
    assertThat(rollbackOfA).as("the rollback must wait for the merge's row locks").isNotDone();
    mergeBetweenHistoryAndUpdate.release();

    IntakeResult rb = b.get(30, TimeUnit.SECONDS);
    boolean changed = amount.equals("2.00");
    assertThat(rb.counts()).isEqualTo(new BatchCounts(9, 9, 0, 1, changed ? 8 : 0, changed ? 0 : 8));
    assertThat(rollbackOfA).failsWithin(30, TimeUnit.SECONDS)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(RefusedException.class); // B changed or re-delivered A's rows meanwhile
    assertThat(target.judgment("C-1")).containsEntry("judgment_amount", new BigDecimal(amount))
        .containsEntry("rolled_back", false);
    assertConsistentAfterRollingEverythingBack(a, rb);
  }

  @ParameterizedTest(name = "B sends A''s rows at {0}")
  @ValueSource(strings = {"2.00", "1.00"})
  void mergeReachingRowsARollbackHoldsWaitsForItAndRevivesThem(String amount) throws Exception {
    var plain = new IntakePipeline(db, config, Fixtures.CLOCK);
    long a = ingest(plain, "a.csv", file("1.00", 8)).batchId();
    Pause rollbackBeforeRestore = new Pause();
    var rollbacks = new Rollbacks(db.jdbi(), new IntakeHooks() {
      @Override public void rollbackBeforeRestore(long batchId) {
        rollbackBeforeRestore.here();
      }
    });
    CompletableFuture<Rollbacks.Outcome> rollbackOfA = Races.async(() -> rollbacks.rollback(a, "test"));
    rollbackBeforeRestore.awaitReached(); // checked: no later batch; A's rows are about to be marked

    CompletableFuture<IntakeResult> b = Races.async(() -> ingest(plain, "b.csv", fileB(amount)));
    Races.awaitDoneOrBlocked(db, b);
    assertThat(b).as("the merge must wait for the rollback's row locks").isNotDone();
    rollbackBeforeRestore.release();

    assertThat(rollbackOfA.get(30, TimeUnit.SECONDS).rowsMarkedRolledBack()).isEqualTo(8);
    IntakeResult rb = b.get(30, TimeUnit.SECONDS);
    // A's rows were rolled back first: B brings them back as its own
    assertThat(rb.counts()).isEqualTo(new BatchCounts(9, 9, 0, 9, 0, 0));
    assertThat(target.live()).isEqualTo(9);
    assertConsistentAfterRollingEverythingBack(a, rb);
  }

  @Test
  void mergeWhoseNewKeyAnotherBatchInsertedMeanwhileIsRetriedWithExactCounts() throws Exception {
    var plain = new IntakePipeline(db, config, Fixtures.CLOCK);
    ingest(plain, "existing.csv", csv(row("E-1", "1.00"), row("E-2", "1.00")));
    var firstTime = new java.util.concurrent.atomic.AtomicBoolean(true);
    var mergeTime = new java.util.concurrent.atomic.AtomicBoolean(true);
    Pause otherBeforeCommit = new Pause();
    var otherWithN1 = new IntakePipeline(db, config, Fixtures.CLOCK, new IntakeHooks() {
      @Override public void beforeFinalize(long batchId) {
        otherBeforeCommit.here();
      }
    });
    CompletableFuture<?>[] other = new CompletableFuture<?>[1];
    var b = new IntakePipeline(db, config.withChunkRows(2).withTransientRetries(1), Fixtures.CLOCK, new IntakeHooks() {
      @Override public void afterChunk(long batchId, long rowsSoFar) {
        // B has staged E-1, E-2; another batch now holds N-1 uncommitted, so B's copy of N-1, N-2
        // waits, then collides, and B stages N-2 as a new key
        if (rowsSoFar == 2 && firstTime.getAndSet(false)) {
          other[0] = Races.async(() -> ingest(otherWithN1, "n1.csv", csv(row("N-1", "5.00"))));
          try {
            otherBeforeCommit.awaitReached();
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
        }
      }

      @Override public void afterMergeHistory(long batchId) {
        // between B's history and its update, a third batch inserts N-2, which B counted as new
        if (mergeTime.getAndSet(false)) ingest(plain, "n2.csv", csv(row("N-2", "6.00")));
      }
    });
    String bFile = csv(row("E-1", "2.00"), row("E-2", "2.00"), row("N-1", "2.00"), row("N-2", "2.00"));
    CompletableFuture<IntakeResult> bRun = Races.async(() ->
        b.retryingTransientFailures(() -> ingest(b, "b.csv", bFile)));
    otherBeforeCommit.awaitReached();
    Races.awaitDoneOrBlocked(db, bRun); // B's copy of N-1 waits for the other batch's commit
    assertThat(bRun).isNotDone();
    otherBeforeCommit.release();
    other[0].get(30, TimeUnit.SECONDS);

    IntakeResult r = bRun.get(30, TimeUnit.SECONDS);
    assertThat(r.attempt()).isEqualTo(2); // the first attempt saw the picture change and gave up
    assertThat(r.counts()).isEqualTo(new BatchCounts(4, 4, 0, 0, 4, 0));
    // the counts are the truth: every row B updated has its history, none is claimed as inserted
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE first_batch_id = ?", r.batchId())).isZero();
    assertThat(target.count("SELECT count(*) FROM intake.judgment_history WHERE batch_id = ?", r.batchId()))
        .isEqualTo(4);
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE last_batch_id = ?", r.batchId())).isEqualTo(4);
  }
}
