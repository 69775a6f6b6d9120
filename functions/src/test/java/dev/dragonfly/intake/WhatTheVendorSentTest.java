package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * What the vendor sent last is what the table holds, and the batch row tells the truth about it:
 * a file whose content equals an earlier batch is skipped only when loading it would change
 * nothing; a batch's finish time is when its load ended; a duplicate names the batch holding its rows.
 */
class WhatTheVendorSentTest {
  private static final String KEY = "incoming/judgments/daily.csv";
  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private final IntakePipeline pipeline = new IntakePipeline(db, IntakeConfig.defaults(), Fixtures.CLOCK);

  private static String file(String amount) {
    return csv(row("V-1", amount), row("V-2", amount), row("V-3", amount));
  }

  private IntakeResult send(String key, String version, String content) {
    return pipeline.ingest(new ObjectRef("judgments", key, version), stream(content), IngestOptions.DEFAULT);
  }

  private BigDecimal amount(String caseNumber) {
    return (BigDecimal) target.judgment(caseNumber).get("judgment_amount");
  }

  @Test
  void aVendorRevertingToAnEarlierFileGetsItLoadedAndAnUnchangedResendIsSkipped() {
    IntakeResult v1 = send(KEY, "v1", file("100.00"));
    IntakeResult v2 = send(KEY, "v2", file("200.00"));
    assertThat(v2.counts()).isEqualTo(new BatchCounts(3, 3, 0, 0, 3, 0));

    IntakeResult reverted = send(KEY, "v3", file("100.00")); // v1's bytes again
    assertThat(reverted.status()).isEqualTo("completed");
    assertThat(reverted.duplicateOf()).isNull();
    assertThat(reverted.counts()).isEqualTo(new BatchCounts(3, 3, 0, 0, 3, 0));
    assertThat(amount("V-1")).isEqualByComparingTo("100.00");
    assertThat(amount("V-3")).isEqualByComparingTo("100.00");

    // nothing changed since the revert: the same bytes once more would change nothing, and are skipped
    IntakeResult again = send(KEY, "v4", file("100.00"));
    assertThat(again.status()).isEqualTo("duplicate");
    assertThat(again.duplicateOf()).isEqualTo(reverted.batchId());
    assertThat(v1.batchId()).isNotEqualTo(reverted.batchId());
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE last_batch_id = ?", reverted.batchId()))
        .isEqualTo(3);
  }

  @Test
  void aResendOfRowsAnotherBatchDeliveredUnchangedLoadsOnceOneOfThemWasOverwritten() {
    send("incoming/judgments/a.csv", "v1", file("100.00")); // batch 1 writes the rows
    IntakeResult sameRows = send("incoming/judgments/b.csv", "v1", csv(row("V-1", "100.00"), row("V-2", "100.00"),
        row("V-3", "100.00"), row("V-4", "100.00"))); // batch 2 delivers V-1..3 unchanged, writes V-4
    assertThat(sameRows.counts()).isEqualTo(new BatchCounts(4, 4, 0, 1, 0, 3));
    send("incoming/judgments/c.csv", "v1", csv(row("V-2", "300.00"))); // overwrites a row batch 2 delivered

    IntakeResult resent = send("incoming/judgments/b.csv", "v2", csv(row("V-1", "100.00"), row("V-2", "100.00"),
        row("V-3", "100.00"), row("V-4", "100.00")));
    assertThat(resent.status()).isEqualTo("completed");
    assertThat(resent.counts()).isEqualTo(new BatchCounts(4, 4, 0, 0, 1, 3));
    assertThat(amount("V-2")).isEqualByComparingTo("100.00");
  }

  @Test
  void finishedAtIsWhenTheLoadEndedNotWhenItsTransactionBegan() {
    var slow = new IntakePipeline(db, IntakeConfig.defaults().withChunkRows(1), Fixtures.CLOCK, new IntakeHooks() {
      @Override public void afterChunk(long batchId, long rowsSoFar) {
        if (rowsSoFar == 1) pauseTheLoad(Duration.ofMillis(1500));
      }
    });
    IntakeResult r = slow.ingest(new ObjectRef("judgments", KEY, "v1"), stream(file("100.00")), IngestOptions.DEFAULT);
    Batch b = target.batch(r.batchId());
    assertThat(Duration.between(b.startedAt(), b.finishedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
    assertThat(target.count("""
        SELECT count(*) FROM intake.batch_attempts
        WHERE batch_id = ? AND finished_at - started_at >= interval '1.5 seconds'""", r.batchId())).isEqualTo(1);
  }

  /** The load's own duration, which the finish time must show: real time on the database's clock. */
  private static void pauseTheLoad(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void aRedeliveryOfAContentDuplicateNamesTheBatchHoldingItsRows() {
    IntakeResult original = send("incoming/judgments/a.csv", "v1", file("100.00"));
    IntakeResult copy = send("incoming/judgments/copy.csv", "v1", file("100.00"));
    assertThat(copy.status()).isEqualTo("duplicate");
    assertThat(copy.duplicateOf()).isEqualTo(original.batchId());

    IntakeResult redelivery = send("incoming/judgments/copy.csv", "v1", file("100.00"));
    assertThat(redelivery.status()).isEqualTo("duplicate");
    assertThat(redelivery.duplicateOf()).isEqualTo(original.batchId());
    assertThat(target.batch(redelivery.batchId()).duplicateOf()).isEqualTo(original.batchId());
    assertThat(redelivery.duplicateOfStatus()).isEqualTo("completed");

    IntakeResult preview = pipeline.ingest(new ObjectRef("judgments", "incoming/judgments/copy.csv", "v1"),
        stream(file("100.00")), IngestOptions.DEFAULT.withDryRun(true));
    assertThat(preview.duplicateOf()).isEqualTo(original.batchId());
  }

  @Test
  void theSameBytesLoadWhenTheyValidateDifferentlyNowThanWhenTheyFirstLoaded() {
    String content = csv(row("D-1"), row("D-2").replace("2024-03-01", "2026-09-01")); // D-2 dated in the future
    IngestOptions lenient = IngestOptions.DEFAULT.withThreshold(new BigDecimal("100"));
    var june = new IntakePipeline(db, IntakeConfig.defaults(), Fixtures.CLOCK); // 2026-06-15
    IntakeResult first = june.ingest(new ObjectRef("judgments", KEY, "v1"), stream(content), lenient);
    assertThat(first.counts()).isEqualTo(new BatchCounts(2, 1, 1, 1, 0, 0));

    var october = new IntakePipeline(db, IntakeConfig.defaults(),
        java.time.Clock.fixed(java.time.Instant.parse("2026-10-01T12:00:00Z"), java.time.ZoneOffset.UTC));
    IntakeResult again = october.ingest(new ObjectRef("judgments", KEY, "v2"), stream(content), lenient);
    assertThat(again.status()).isEqualTo("completed"); // D-2 is no longer in the future: it loads
    assertThat(again.counts()).isEqualTo(new BatchCounts(2, 2, 0, 1, 0, 1));
    assertThat(target.judgments()).isEqualTo(2);
  }
}
