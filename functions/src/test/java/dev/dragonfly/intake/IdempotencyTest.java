package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class IdempotencyTest {
  private final Database db = TestDatabase.fresh();
  private final IntakePipeline pipeline = new IntakePipeline(db, IntakeConfig.defaults().withChunkRows(50), Fixtures.CLOCK);
  private final Target target = new Target(db);

  private static String rows(int n) {
    List<String> rows = new ArrayList<>();
    for (int i = 1; i <= n; i++) rows.add(row("C-" + i));
    return csv(rows.toArray(String[]::new));
  }

  @Test
  void sameObjectTwiceIsADuplicateAndLeavesTheTargetAlone() {
    IntakeResult first = pipeline.ingest(ref("a.csv"), stream(rows(10)), IngestOptions.DEFAULT);
    var before = target.snapshot("judgments");

    IntakeResult second = pipeline.ingest(ref("a.csv"), stream(rows(10)), IngestOptions.DEFAULT);

    assertThat(second.status()).isEqualTo("duplicate");
    assertThat(second.duplicateOf()).isEqualTo(first.batchId());
    assertThat(second.duplicateOfStatus()).isEqualTo("completed");
    assertThat(second.oneLine()).isEqualTo("batch " + second.batchId() + " duplicate of batch " + first.batchId()
        + " (completed): nothing loaded");
    assertThat(target.batch(second.batchId()).status()).isEqualTo("duplicate");
    assertThat(target.snapshot("judgments")).isEqualTo(before);
  }

  @Test
  void resentRejectedObjectIsADuplicateOfTheFailedBatch() {
    IntakeResult rejected = pipeline.ingest(ref("bad.csv"), stream(csv(row("C-1", "x"))), IngestOptions.DEFAULT);

    IntakeResult again = pipeline.ingest(ref("bad.csv"), stream(csv(row("C-1", "x"))), IngestOptions.DEFAULT);

    assertThat(again.status()).isEqualTo("duplicate");
    assertThat(again.duplicateOf()).isEqualTo(rejected.batchId());
    assertThat(again.duplicateOfStatus()).isEqualTo("failed");
  }

  @Test
  void sameContentUnderAnotherNameIsADuplicateNamingTheOriginal() {
    IntakeResult first = pipeline.ingest(ref("a.csv"), stream(rows(120)), IngestOptions.DEFAULT);
    var before = target.snapshot("judgments");

    IntakeResult renamed = pipeline.ingest(ref("copy-of-a.csv"), stream(rows(120)), IngestOptions.DEFAULT);

    assertThat(renamed.status()).isEqualTo("duplicate");
    assertThat(renamed.duplicateOf()).isEqualTo(first.batchId());
    Batch b = target.batch(renamed.batchId());
    assertThat(b.status()).isEqualTo("duplicate");
    assertThat(b.duplicateOf()).isEqualTo(first.batchId());
    assertThat(b.contentSha256()).isEqualTo(target.batch(first.batchId()).contentSha256());
    assertThat(target.snapshot("judgments")).isEqualTo(before);
  }

  @Test
  void concurrentFilesWithOverlappingKeysEndConsistentAfterRetries() throws Exception {
    // A has C-1..C-3000, B has C-4500..C-1500 (the other way round, to invite lock waits in
    // both directions) with other amounts: 1501 keys in common
    List<String> a = new ArrayList<>();
    for (int i = 1; i <= 3000; i++) a.add(row("C-" + i, "1.00"));
    List<String> b = new ArrayList<>();
    for (int i = 4500; i >= 1500; i--) b.add(row("C-" + i, "2.00"));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    CountDownLatch go = new CountDownLatch(1);
    Future<IntakeResult> fa = pool.submit(() -> ingestRetrying(go, "a.csv", csv(a.toArray(String[]::new))));
    Future<IntakeResult> fb = pool.submit(() -> ingestRetrying(go, "b.csv", csv(b.toArray(String[]::new))));
    go.countDown();
    IntakeResult ra = fa.get();
    IntakeResult rb = fb.get();
    pool.shutdown();

    assertThat(ra.status()).isEqualTo("completed");
    assertThat(rb.status()).isEqualTo("completed");
    assertThat(target.judgments()).isEqualTo(4500);
    // whichever committed second updated the shared keys; nothing was written twice or lost
    assertThat(ra.rowsInserted() + rb.rowsInserted()).isEqualTo(4500);
    assertThat(ra.rowsUpdated() + rb.rowsUpdated()).isEqualTo(1501);
    assertThat(target.count("SELECT count(*) FROM intake.judgment_history")).isEqualTo(1501);
    long lastWriter = ra.rowsUpdated() > 0 ? ra.batchId() : rb.batchId();
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE case_number IN ('C-1500', 'C-3000') "
        + "AND last_batch_id = ?", lastWriter)).isEqualTo(2);
  }

  /** As Lambda would: a run that failed for a reason not the file's (a deadlock) is tried again. */
  private IntakeResult ingestRetrying(CountDownLatch go, String key, String file) throws Exception {
    go.await();
    for (int attempt = 1; ; attempt++) {
      try {
        return pipeline.ingest(ref(key), stream(file), IngestOptions.DEFAULT);
      } catch (IntakeFailedException e) {
        if (attempt == 5) throw e;
      }
    }
  }

  @Test
  void eightConcurrentIngestsOfOneObjectDoTheWorkOnce() throws Exception {
    int workers = 8;
    String file = rows(2000);
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<IntakeResult>> results = new ArrayList<>();
    for (int i = 0; i < workers; i++) {
      results.add(pool.submit(() -> {
        go.await();
        return pipeline.ingest(ref("race.csv"), stream(file), IngestOptions.DEFAULT);
      }));
    }
    go.countDown();
    List<IntakeResult> outcomes = new ArrayList<>();
    for (Future<IntakeResult> f : results) outcomes.add(f.get());
    pool.shutdown();

    List<IntakeResult> completed = outcomes.stream().filter(r -> r.status().equals("completed")).toList();
    assertThat(completed).hasSize(1);
    long winner = completed.get(0).batchId();
    assertThat(completed.get(0).rowsInserted()).isEqualTo(2000);
    assertThat(outcomes).allSatisfy(r -> assertThat(r.status()).isIn("completed", "duplicate", "in_progress"));
    assertThat(outcomes).filteredOn(r -> r.status().equals("duplicate"))
        .allSatisfy(r -> assertThat(r.duplicateOf()).isEqualTo(winner));
    assertThat(target.count("SELECT count(*) FROM intake.batches WHERE status <> 'duplicate'")).isEqualTo(1);
    // each row written once: by the winner, never overwritten
    assertThat(target.judgments()).isEqualTo(2000);
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE first_batch_id = ? AND last_batch_id = ?",
        winner, winner)).isEqualTo(2000);
    assertThat(target.count("SELECT count(*) FROM intake.judgment_history")).isZero();
  }
}
