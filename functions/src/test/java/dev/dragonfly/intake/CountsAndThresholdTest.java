package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CountsAndThresholdTest {
  private final Database db = TestDatabase.fresh();
  private final IntakePipeline pipeline = new IntakePipeline(db, IntakeConfig.defaults().withChunkRows(3), Fixtures.CLOCK);
  private final Target target = new Target(db);

  /** n rows of which the first {@code bad} have an invalid amount. */
  private static String file(int n, int bad) {
    List<String> rows = new ArrayList<>();
    for (int i = 1; i <= n; i++) rows.add(row("C-" + i, i <= bad ? "oops" : i + ".00"));
    return csv(rows.toArray(String[]::new));
  }

  @Test
  void countsReconcileOnAMixedFile() {
    IntakeResult r = pipeline.ingest(ref("mixed.csv"), stream(file(20, 2) + "C-3," + "x\n"), IngestOptions.DEFAULT
        .withThreshold(new BigDecimal("20")));

    assertThat(r.counts()).isEqualTo(new BatchCounts(21, 18, 3, 18, 0, 0));
    assertThat(r.counts().reconciles()).isTrue();
    assertThat(target.batch(r.batchId()).rowsInserted()).isEqualTo(18);
    assertThat(target.judgments()).isEqualTo(18);
  }

  @Test
  void reingestingAChangedFileReportsUpdatedAndUnchanged() {
    pipeline.ingest(ref("day1.csv"), stream(csv(row("C-1", "1.00"), row("C-2", "2.00"), row("C-3", "3.00"),
        row("C-4", "4.00"))), IngestOptions.DEFAULT);

    IntakeResult r = pipeline.ingest(ref("day2.csv"), stream(csv(row("C-1", "1.00"), row("C-2", "20.00"),
        row("C-3", "3.00"), row("C-4", "40.00"), row("C-5", "5.00"))), IngestOptions.DEFAULT);

    assertThat(r.counts()).isEqualTo(new BatchCounts(5, 5, 0, 1, 2, 2));
    assertThat(target.judgment("C-2")).containsEntry("judgment_amount", new BigDecimal("20.00"))
        .containsEntry("last_batch_id", r.batchId());
    assertThat(target.judgment("C-1")).containsEntry("last_batch_id", r.batchId() - 1);
  }

  @Test
  void atTheThresholdTheBatchLoads() {
    IntakeResult r = pipeline.ingest(ref("ten.csv"), stream(file(20, 2)), IngestOptions.DEFAULT); // 10.0%

    assertThat(r.status()).isEqualTo("completed");
    assertThat(r.rowsInserted()).isEqualTo(18);
    assertThat(target.judgments()).isEqualTo(18);
  }

  @Test
  void aboveTheThresholdTheBatchFailsWithTheReasonAndWritesNothing() {
    IntakeResult r = pipeline.ingest(ref("eleven.csv"), stream(file(20, 3)), IngestOptions.DEFAULT); // 15%

    assertThat(r.status()).isEqualTo("failed");
    assertThat(r.rejectionReason()).isEqualTo("error rate 15.0% > 10.0% threshold");
    assertThat(r.counts()).isEqualTo(new BatchCounts(20, 17, 3, 0, 0, 0));
    assertThat(r.errorsByCode()).isEqualTo(Map.of("INVALID_AMOUNT", 3L, "ERROR_RATE_EXCEEDED", 1L));
    Batch b = target.batch(r.batchId());
    assertThat(b.status()).isEqualTo("failed");
    assertThat(b.rejectionReason()).isEqualTo("error rate 15.0% > 10.0% threshold");
    assertThat(target.judgments()).isZero();
    // the vendor still learns which rows were bad
    assertThat(target.errors(r.batchId())).extracting(RowError::code)
        .containsExactly(ErrorCode.ERROR_RATE_EXCEEDED, ErrorCode.INVALID_AMOUNT, ErrorCode.INVALID_AMOUNT,
            ErrorCode.INVALID_AMOUNT);
  }

  @Test
  void reasonShowsEnoughDecimalsToDifferFromTheThreshold() {
    IntakeResult r = pipeline.ingest(ref("close.csv"), stream(file(2002, 201)), IngestOptions.DEFAULT); // 10.04%

    assertThat(r.rejectionReason()).isEqualTo("error rate 10.04% > 10.00% threshold");
  }

  @Test
  void perBatchThresholdOverridesTheProfile() {
    IntakeResult loose = pipeline.ingest(ref("loose.csv"), stream(file(20, 3)),
        IngestOptions.DEFAULT.withThreshold(new BigDecimal("15")));
    IntakeResult strict = pipeline.ingest(ref("strict.csv"), stream(csv(row("S-1"), row("S-2", "bad"))),
        IngestOptions.DEFAULT.withThreshold(new BigDecimal("0")));

    assertThat(loose.status()).isEqualTo("completed");
    assertThat(target.batch(loose.batchId()).errorThresholdPercent()).isEqualByComparingTo("15");
    assertThat(strict.status()).isEqualTo("failed");
    assertThat(strict.rejectionReason()).isEqualTo("error rate 50.0% > 0.0% threshold");
  }

  @Test
  void sourceProfileThresholdIsTheDefault() {
    db.jdbi().useHandle(h -> h.execute(
        "INSERT INTO intake.source_profiles (name, dataset, error_threshold_percent) VALUES ('tight', 'judgments', 1)"));

    IntakeResult r = pipeline.ingest(new ObjectRef("tight", "t.csv", "v1"), stream(file(20, 1)), IngestOptions.DEFAULT);

    assertThat(r.rejectionReason()).isEqualTo("error rate 5.0% > 1.0% threshold");
  }
}
