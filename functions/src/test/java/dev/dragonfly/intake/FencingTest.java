package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The claim under takeover, with time and heartbeats in the test's hands: a live worker keeps its
 * batch however long it runs, a silent one loses it after the stale window, and a worker that
 * lost it writes nothing and cannot finalize, even while the new owner is still mid-run.
 */
class FencingTest {
  private static final ObjectRef REF = new ObjectRef("judgments", "incoming/judgments/big.csv", "v1");
  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private final IntakeConfig config = IntakeConfig.defaults().withChunkRows(10);
  private final Duration stale = config.staleAfter();
  private final MutableClock clock = new MutableClock(Instant.parse("2026-06-15T12:00:00Z"));
  private final MovableLeaseClock leases = new MovableLeaseClock();

  private static String file(String... prefixesOfTen) {
    List<String> rows = new ArrayList<>();
    for (String prefix : prefixesOfTen) {
      for (int i = 1; i <= 10; i++) rows.add(row(prefix + i));
    }
    return csv(rows.toArray(String[]::new));
  }

  private IntakePipeline worker(IntakeHooks hooks, ManualHeartbeats beats) {
    return new IntakePipeline(db, config.withTransientRetries(0), clock, hooks, beats, leases);
  }

  private static IntakeHooks pauseAfterChunk(long rows, Pause pause) {
    return new IntakeHooks() {
      @Override public void afterChunk(long batchId, long rowsSoFar) {
        if (rowsSoFar == rows) pause.here();
      }
    };
  }

  private long rowsWithPrefix(String prefix) {
    return target.count("SELECT count(*) FROM intake.judgments WHERE case_number LIKE ?", prefix + "%");
  }

  @Test
  void oldOwnerResumedWhileTheNewOwnerIsMidRunCanNeitherWriteARowNorFinalize() throws Exception {
    Pause oldAboutToFinalize = new Pause();
    var old = worker(new IntakeHooks() {
      @Override public void beforeFinalize(long batchId) {
        oldAboutToFinalize.here();
      }
    }, new ManualHeartbeats());
    CompletableFuture<IntakeResult> oldRun = Races.async(() -> old.ingest(REF, stream(file("OLD-", "OLD-2-", "OLD-3-")),
        IngestOptions.DEFAULT));
    oldAboutToFinalize.awaitReached(); // all 30 rows written in its open transaction; then it froze

    leases.advance(stale.plusSeconds(1)); // it never beat again: the claim is stale
    Pause newMidRun = new Pause();
    var fresh = worker(pauseAfterChunk(10, newMidRun), new ManualHeartbeats());
    CompletableFuture<IntakeResult> newRun = Races.async(() -> fresh.ingest(REF, stream(file("NEW-", "NEW-2-", "NEW-3-")),
        IngestOptions.DEFAULT));
    newMidRun.awaitReached();
    assertThat(target.batch(1).attempt()).isEqualTo(2);

    oldAboutToFinalize.release();
    // its load session was ended by the takeover; were it not, the fenced completion would refuse it
    assertThatThrownBy(oldRun::join).hasCauseInstanceOf(IntakeException.class);
    // the new owner is still mid-run: the old owner left no row, and the batch is still the new owner's
    assertThat(rowsWithPrefix("OLD-")).isZero();
    Batch during = target.batch(1);
    assertThat(during.status()).isEqualTo("staging");
    assertThat(during.attempt()).isEqualTo(2);
    assertThat(target.count("SELECT count(*) FROM intake.batches WHERE owner_token IS NOT NULL")).isEqualTo(1);

    newMidRun.release();
    IntakeResult r = newRun.join();
    assertThat(r.status()).isEqualTo("completed");
    assertThat(r.attempt()).isEqualTo(2);
    assertThat(r.counts()).isEqualTo(new BatchCounts(30, 30, 0, 30, 0, 0));
    assertThat(target.judgments()).isEqualTo(30);
    assertThat(rowsWithPrefix("NEW-")).isEqualTo(30);
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE last_batch_id = 1")).isEqualTo(30);
  }

  @Test
  void oldOwnerThatHearsOfTheTakeoverWritesNoFurtherChunk() throws Exception {
    Pause oldAfterFirstChunk = new Pause();
    ManualHeartbeats oldBeats = new ManualHeartbeats();
    var old = worker(pauseAfterChunk(10, oldAfterFirstChunk), oldBeats);
    // its second chunk holds the keys the new owner writes first
    CompletableFuture<IntakeResult> oldRun = Races.async(() -> old.ingest(REF, stream(file("OLD-", "SHARED-")),
        IngestOptions.DEFAULT));
    oldAfterFirstChunk.awaitReached();

    leases.advance(stale.plusSeconds(1));
    Pause newMidRun = new Pause();
    var fresh = worker(pauseAfterChunk(10, newMidRun), new ManualHeartbeats());
    CompletableFuture<IntakeResult> newRun = Races.async(() -> fresh.ingest(REF, stream(file("SHARED-", "NEW-")),
        IngestOptions.DEFAULT));
    newMidRun.awaitReached(); // holds SHARED-1..10 in its open transaction

    oldBeats.beat(1); // the old owner's next heartbeat finds the claim gone
    oldAfterFirstChunk.release();
    // Writing SHARED-* would wait for the new owner's uncommitted rows: it must stop instead.
    Races.awaitDoneOrBlocked(db, oldRun);
    assertThat(oldRun).isCompletedExceptionally();
    assertThatThrownBy(oldRun::join).hasCauseInstanceOf(ClaimLostException.class);

    newMidRun.release();
    assertThat(newRun.join().counts()).isEqualTo(new BatchCounts(20, 20, 0, 20, 0, 0));
    assertThat(rowsWithPrefix("OLD-")).isZero();
    assertThat(target.judgments()).isEqualTo(20);
  }

  @Test
  void loadLongerThanSeveralHeartbeatIntervalsIsNotTakenOverByAConcurrentDelivery() throws Exception {
    Pause longLoad = new Pause();
    ManualHeartbeats beats = new ManualHeartbeats();
    var first = worker(pauseAfterChunk(10, longLoad), beats);
    CompletableFuture<IntakeResult> firstRun = Races.async(() -> first.ingest(REF, stream(file("C-", "D-")),
        IngestOptions.DEFAULT));
    longLoad.awaitReached();

    // six heartbeat intervals (60 s, past the 45 s stale window) of loading, beating as it goes
    for (int i = 0; i < 6; i++) {
      leases.advance(config.heartbeatInterval());
      beats.beat(1);
    }
    var redelivery = worker(IntakeHooks.NONE, new ManualHeartbeats());
    CompletableFuture<IntakeResult> second = Races.async(() -> redelivery.ingest(REF, stream(file("C-", "D-")),
        IngestOptions.DEFAULT));
    Races.awaitDoneOrBlocked(db, second); // a takeover would wait on the first worker's rows
    assertThat(second).isCompleted();
    assertThat(second.join().status()).isEqualTo("in_progress");

    longLoad.release();
    IntakeResult r = firstRun.join();
    assertThat(r.status()).isEqualTo("completed");
    assertThat(r.attempt()).isEqualTo(1);
    assertThat(r.counts()).isEqualTo(new BatchCounts(20, 20, 0, 20, 0, 0));
  }

  @Test
  void silentClaimIsRespectedUntilTheStaleWindowEndsAndTakenOverAfter() throws Exception {
    Pause frozen = new Pause();
    var dead = worker(new IntakeHooks() {
      @Override public void afterClaim(long batchId) {
        frozen.here();
      }
    }, new ManualHeartbeats());
    CompletableFuture<IntakeResult> deadRun = Races.async(() -> dead.ingest(REF, stream(file("C-")),
        IngestOptions.DEFAULT));
    frozen.awaitReached();

    var retry = worker(IntakeHooks.NONE, new ManualHeartbeats());
    leases.advance(stale.minusSeconds(1));
    assertThat(retry.ingest(REF, stream(file("C-")), IngestOptions.DEFAULT).status()).isEqualTo("in_progress");
    leases.advance(Duration.ofSeconds(2));
    IntakeResult r = retry.ingest(REF, stream(file("C-")), IngestOptions.DEFAULT);
    assertThat(r.status()).isEqualTo("completed");
    assertThat(r.attempt()).isEqualTo(2);

    frozen.release();
    assertThatThrownBy(deadRun::join).hasCauseInstanceOf(ClaimLostException.class);
    assertThat(target.batch(1).status()).isEqualTo("completed");
    assertThat(target.judgments()).isEqualTo(10);
  }
}
