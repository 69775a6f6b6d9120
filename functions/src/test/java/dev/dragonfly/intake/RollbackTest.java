package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class RollbackTest {
  private final Database db = TestDatabase.fresh();
  private final IntakePipeline pipeline = new IntakePipeline(db, IntakeConfig.defaults().withChunkRows(2), Fixtures.CLOCK);
  private final Rollbacks rollbacks = new Rollbacks(db.jdbi());
  private final Target target = new Target(db);

  private long ingest(String key, String... rows) {
    IntakeResult r = pipeline.ingest(ref(key), stream(csv(rows)), IngestOptions.DEFAULT);
    assertThat(r.status()).isEqualTo("completed");
    return r.batchId();
  }

  @Test
  void rollingBackBRestoresTheTargetToItsStateAfterA() {
    long a = ingest("a.csv", row("C-1", "1.00"), row("C-2", "2.00"), row("C-3", "3.00"), row("C-4", "4.00"));
    var afterA = target.snapshot("judgments_current");
    long b = ingest("b.csv", row("C-1", "10.00"), row("C-2", "2.00"), row("C-3", "30.00"), row("C-5", "5.00"));
    assertThat(target.judgment("C-1")).containsEntry("judgment_amount", new BigDecimal("10.00"));

    Rollbacks.Outcome outcome = rollbacks.rollback(b, "vendor sent wrong amounts");

    assertThat(outcome.alreadyRolledBack()).isFalse();
    assertThat(outcome.rowsRestored()).isEqualTo(2);
    assertThat(outcome.rowsMarkedRolledBack()).isEqualTo(1);
    assertThat(target.snapshot("judgments_current")).isEqualTo(afterA); // row by row, provenance included
    assertThat(target.judgment("C-5")).containsEntry("rolled_back", true); // marked, never deleted
    Batch rolled = target.batch(b);
    assertThat(rolled.status()).isEqualTo("rolled_back");
    assertThat(rolled.rollbackReason()).isEqualTo("vendor sent wrong amounts");
    assertThat(target.batch(a).status()).isEqualTo("completed");
  }

  @Test
  void rollingBackAWhileBStandsIsRefusedNamingB() {
    long a = ingest("a.csv", row("C-1", "1.00"), row("C-2", "2.00"));
    long b = ingest("b.csv", row("C-2", "20.00"));
    var before = target.snapshot("judgments");

    assertThatThrownBy(() -> rollbacks.rollback(a, "test"))
        .isInstanceOf(RefusedException.class)
        .hasMessage("batch " + b + " has since changed or re-delivered 1 row(s) that batch " + a + " wrote; roll back batch " + b
            + " first");
    assertThat(target.snapshot("judgments")).isEqualTo(before);
    assertThat(target.batch(a).status()).isEqualTo("completed");

    rollbacks.rollback(b, "test");
    Rollbacks.Outcome outcome = rollbacks.rollback(a, "test");

    assertThat(outcome.rowsMarkedRolledBack()).isEqualTo(2);
    assertThat(target.live()).isZero();
    assertThat(target.judgments()).isEqualTo(2);
  }

  @Test
  void rollingBackTwiceIsANoOpWithAClearMessage() {
    long a = ingest("a.csv", row("C-1", "1.00"));
    rollbacks.rollback(a, "first");
    var before = target.snapshot("judgments");

    Rollbacks.Outcome again = rollbacks.rollback(a, "second");

    assertThat(again.alreadyRolledBack()).isTrue();
    assertThat(again.message()).startsWith("batch " + a + " was already rolled back at ").endsWith("(first); nothing to do");
    assertThat(target.snapshot("judgments")).isEqualTo(before);
    assertThat(target.batch(a).rollbackReason()).isEqualTo("first");
  }

  @Test
  void rowsRolledBackComeBackAsInsertsAndThatCanBeRolledBackToo() {
    long a = ingest("a.csv", row("C-1", "1.00"));
    rollbacks.rollback(a, "test");
    IntakeResult again = pipeline.ingest(ref("again.csv"), stream(csv(row("C-1", "1.50"))), IngestOptions.DEFAULT);
    assertThat(again.counts()).isEqualTo(new BatchCounts(1, 1, 0, 1, 0, 0));
    assertThat(target.live()).isEqualTo(1);

    rollbacks.rollback(again.batchId(), "test");

    assertThat(target.live()).isZero();
    assertThat(target.judgment("C-1")).containsEntry("judgment_amount", new BigDecimal("1.00"))
        .containsEntry("last_batch_id", a);
  }

  @Test
  void laterBatchThatDeliveredARowUnchangedCountsAsTouchingIt() {
    long a = ingest("a.csv", row("C-1", "1.00"), row("C-2", "2.00"));
    // B re-sends C-1 exactly as A loaded it: B delivered that row too
    IntakeResult b = pipeline.ingest(ref("b.csv"), stream(csv(row("C-1", "1.00"), row("C-3", "3.00"))),
        IngestOptions.DEFAULT);
    assertThat(b.counts()).isEqualTo(new BatchCounts(2, 2, 0, 1, 0, 1));
    var before = target.snapshot("judgments");

    assertThatThrownBy(() -> rollbacks.rollback(a, "test"))
        .isInstanceOf(RefusedException.class)
        .hasMessage("batch " + b.batchId() + " has since changed or re-delivered 1 row(s) that batch " + a
            + " wrote; roll back batch " + b.batchId() + " first");
    assertThat(target.snapshot("judgments")).isEqualTo(before);

    // rolling B back leaves the row it only confirmed as A wrote it; then A can go
    rollbacks.rollback(b.batchId(), "test");
    assertThat(target.judgment("C-1")).containsEntry("rolled_back", false).containsEntry("last_batch_id", a);
    assertThat(target.judgment("C-3")).containsEntry("rolled_back", true);
    rollbacks.rollback(a, "test");
    assertThat(target.live()).isZero();
  }

  @Test
  void onlyCompletedBatchesCanBeRolledBack() {
    IntakeResult rejected = pipeline.ingest(ref("bad.csv"), stream(csv(row("C-1", "x"))), IngestOptions.DEFAULT);

    assertThatThrownBy(() -> rollbacks.rollback(rejected.batchId(), "test"))
        .isInstanceOf(RefusedException.class)
        .hasMessage("batch " + rejected.batchId() + " is failed; only a completed batch loaded rows to roll back");
    assertThatThrownBy(() -> rollbacks.rollback(999, "test"))
        .isInstanceOf(BatchNotFoundException.class)
        .hasMessageStartingWith("batch 999 not found");
  }
}
