package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Two batches racing on a key new to the target, forced at hooks into the interleaving where one
 * batch's merge inserts the key while the other's COPY holds it uncommitted: the merge's INSERT
 * waits, the COPY commits, and the merge's unique violation must be retried, not end the batch.
 */
class MergeRaceTest {
  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private final IntakeConfig config = IntakeConfig.defaults().withChunkRows(2).withTransientRetries(0);

  private IntakeResult ingest(IntakePipeline pipeline, String key, String content) {
    return pipeline.ingest(ref(key), stream(content), IngestOptions.DEFAULT);
  }

  private static void await(Pause pause) {
    try {
      pause.awaitReached();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void mergeInsertingAKeyAnotherBatchsCopyHoldsUncommittedIsRetriedAndBothCompleteWithExactCounts()
      throws Exception {
    var plain = new IntakePipeline(db, config, Fixtures.CLOCK);
    ingest(plain, "existing.csv", csv(row("E-1", "1.00"), row("E-2", "1.00")));

    // N-1's batch makes B's copy of N-1, N-2 collide, so B stages N-2 as a new key to insert at its merge
    Pause n1BeforeCommit = new Pause();
    var n1Worker = new IntakePipeline(db, config, Fixtures.CLOCK, new IntakeHooks() {
      @Override public void beforeFinalize(long batchId) {
        n1BeforeCommit.here();
      }
    });
    // A copies N-2 straight into the target and holds it uncommitted while B merges
    Pause aBeforeCommit = new Pause();
    var aWorker = new IntakePipeline(db, config, Fixtures.CLOCK, new IntakeHooks() {
      @Override public void beforeFinalize(long batchId) {
        aBeforeCommit.here();
      }
    });
    @SuppressWarnings("unchecked") CompletableFuture<IntakeResult>[] n1 = new CompletableFuture[1];
    @SuppressWarnings("unchecked") CompletableFuture<IntakeResult>[] a = new CompletableFuture[1];
    var chunkTwoPending = new AtomicBoolean(true);
    var mergePending = new AtomicBoolean(true);
    var bWorker = new IntakePipeline(db, config.withTransientRetries(1), Fixtures.CLOCK, new IntakeHooks() {
      @Override public void afterChunk(long batchId, long rowsSoFar) {
        // E-1, E-2 are staged (B now checks keys); N-1 is held by its batch, uncommitted
        if (rowsSoFar == 2 && chunkTwoPending.getAndSet(false)) {
          n1[0] = Races.async(() -> ingest(n1Worker, "n1.csv", csv(row("N-1", "5.00"))));
          await(n1BeforeCommit);
        }
      }

      @Override public void afterMergeHistory(long batchId) {
        // B has counted N-2 as new; A now copies N-2 and stops before its commit
        if (mergePending.getAndSet(false)) {
          a[0] = Races.async(() -> ingest(aWorker, "a.csv", csv(row("N-2", "6.00"))));
          await(aBeforeCommit);
        }
      }
    });
    String bFile = csv(row("E-1", "2.00"), row("E-2", "2.00"), row("N-1", "2.00"), row("N-2", "2.00"));
    CompletableFuture<IntakeResult> b = Races.async(() -> bWorker.retryingTransientFailures(() -> ingest(bWorker,
        "b.csv", bFile)));

    n1BeforeCommit.awaitReached();
    Races.awaitDoneOrBlocked(db, b);
    assertThat(b).as("B's copy of N-1 waits for N-1's batch").isNotDone();
    n1BeforeCommit.release();
    assertThat(n1[0].get(30, TimeUnit.SECONDS).counts()).isEqualTo(new BatchCounts(1, 1, 0, 1, 0, 0));

    aBeforeCommit.awaitReached();
    Races.awaitDoneOrBlocked(db, b);
    assertThat(b).as("B's merge inserting N-2 waits for A's uncommitted copy of it").isNotDone();
    aBeforeCommit.release();

    IntakeResult ra = a[0].get(30, TimeUnit.SECONDS);
    IntakeResult rb = b.get(30, TimeUnit.SECONDS);
    assertThat(ra.status()).isEqualTo("completed");
    assertThat(ra.counts()).isEqualTo(new BatchCounts(1, 1, 0, 1, 0, 0));
    assertThat(rb.status()).isEqualTo("completed");
    assertThat(rb.attempt()).as("the first attempt met A's key at its insert and was retried").isEqualTo(2);
    // attempt 2 finds every key in place: B updates all four, inserts none
    assertThat(rb.counts()).isEqualTo(new BatchCounts(4, 4, 0, 0, 4, 0));
    assertThat(new BatchStore(db.jdbi()).attempts(rb.batchId()).get(0).detail())
        .startsWith("database error 40001: ");

    assertThat(target.judgments()).isEqualTo(4);
    for (String key : new String[] {"E-1", "E-2", "N-1", "N-2"}) {
      assertThat(target.judgment(key)).as(key).containsEntry("judgment_amount", new BigDecimal("2.00"))
          .containsEntry("last_batch_id", rb.batchId()).containsEntry("rolled_back", false);
    }
    assertThat(target.judgment("N-1")).containsEntry("first_batch_id", n1[0].get().batchId());
    assertThat(target.judgment("N-2")).containsEntry("first_batch_id", ra.batchId());
    // B kept the previous version of every row it changed: N-2's is A's
    assertThat(target.count("SELECT count(*) FROM intake.judgment_history WHERE batch_id = ?", rb.batchId()))
        .isEqualTo(4);
    assertThat(target.count("""
        SELECT count(*) FROM intake.judgment_history
        WHERE batch_id = ? AND case_number = 'N-2' AND previous_batch_id = ? AND judgment_amount = 6.00""",
        rb.batchId(), ra.batchId())).isEqualTo(1);
    assertThat(target.count("SELECT count(*) FROM intake.judgment_history WHERE batch_id <> ?", rb.batchId()))
        .isZero();
  }
}
