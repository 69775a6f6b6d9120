package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class DryRunTest {
  private final Database db = TestDatabase.fresh();
  private final IntakePipeline pipeline = new IntakePipeline(db, IntakeConfig.defaults().withChunkRows(2), Fixtures.CLOCK);
  private final Target target = new Target(db);
  private static final IngestOptions OPTIONS = IngestOptions.DEFAULT.withThreshold(new BigDecimal("50"));

  @Test
  void previewEqualsWhatTheRealRunThenDoesAndWritesNothing() {
    pipeline.ingest(ref("base.csv"), stream(csv(row("C-1", "1.00"), row("C-2", "2.00"), row("C-3", "3.00"))),
        IngestOptions.DEFAULT);
    Rollbacks rollbacks = new Rollbacks(db.jdbi());
    pipeline.ingest(ref("gone.csv"), stream(csv(row("C-9", "9.00"))), IngestOptions.DEFAULT);
    rollbacks.rollback(2, "test: a rolled-back row that the next file brings back");
    var before = target.snapshot("judgments");
    // new, updated, unchanged, revived, invalid, and a duplicate in a later chunk
    String next = csv(row("C-1", "1.00"), row("C-2", "20.00"), row("C-4", "4.00"), row("C-9", "9.00"),
        row("C-5", "x"), row("C-4", "44.00"), row("C-6", "6.00"));

    IntakeResult preview = pipeline.ingest(ref("next.csv"), stream(next), OPTIONS.withDryRun(true));

    assertThat(preview.dryRun()).isTrue();
    assertThat(target.snapshot("judgments")).isEqualTo(before);
    assertThat(target.count("SELECT count(*) FROM intake.judgment_history")).isZero();

    IntakeResult real = pipeline.ingest(ref("next.csv"), stream(next), OPTIONS);

    assertThat(real.status()).isEqualTo("completed");
    assertThat(preview.status()).isEqualTo(real.status());
    assertThat(preview.counts()).isEqualTo(real.counts()).isEqualTo(new BatchCounts(7, 5, 2, 3, 1, 1));
    assertThat(preview.errorsByCode()).isEqualTo(real.errorsByCode());
    assertThat(target.errors(preview.batchId())).extracting(RowError::recordNumber, RowError::code)
        .isEqualTo(target.errors(real.batchId()).stream().map(e -> org.assertj.core.groups.Tuple.tuple(
            e.recordNumber(), e.code())).toList());
  }

  @Test
  void dryRunDoesNotClaimTheObject() {
    IntakeResult preview = pipeline.ingest(ref("a.csv"), stream(csv(row("C-1"))), IngestOptions.DEFAULT.withDryRun(true));
    IntakeResult real = pipeline.ingest(ref("a.csv"), stream(csv(row("C-1"))), IngestOptions.DEFAULT);

    assertThat(preview.rowsInserted()).isEqualTo(1);
    assertThat(real.status()).isEqualTo("completed");
    assertThat(real.rowsInserted()).isEqualTo(1);
    assertThat(target.batch(preview.batchId()).dryRun()).isTrue();
  }

  @Test
  void dryRunOfAnAlreadyProcessedObjectOrContentPreviewsADuplicate() {
    IntakeResult real = pipeline.ingest(ref("a.csv"), stream(csv(row("C-1"))), IngestOptions.DEFAULT);
    var before = target.snapshot("judgments");

    IntakeResult sameObject = pipeline.ingest(ref("a.csv"), stream(csv(row("C-1"))), IngestOptions.DEFAULT.withDryRun(true));
    IntakeResult sameContent = pipeline.ingest(ref("b.csv"), stream(csv(row("C-1"))), IngestOptions.DEFAULT.withDryRun(true));

    assertThat(sameObject.status()).isEqualTo("duplicate");
    assertThat(sameObject.duplicateOf()).isEqualTo(real.batchId());
    assertThat(sameObject.duplicateOfStatus()).isEqualTo("completed");
    assertThat(sameContent.status()).isEqualTo("duplicate");
    assertThat(sameContent.duplicateOf()).isEqualTo(real.batchId());
    assertThat(target.batch(sameContent.batchId()).dryRun()).isTrue();
    assertThat(target.snapshot("judgments")).isEqualTo(before);
    // and the real runs agree with the previews
    assertThat(pipeline.ingest(ref("a.csv"), stream(csv(row("C-1"))), IngestOptions.DEFAULT).status()).isEqualTo("duplicate");
    assertThat(pipeline.ingest(ref("b.csv"), stream(csv(row("C-1"))), IngestOptions.DEFAULT).duplicateOf())
        .isEqualTo(real.batchId());
  }

  @Test
  void dryRunOfARejectedFileIsRejectedToo() {
    IntakeResult preview = pipeline.ingest(ref("bad.csv"), stream(csv(row("C-1"), row("C-2", "x"))),
        IngestOptions.DEFAULT.withDryRun(true));

    assertThat(preview.status()).isEqualTo("failed");
    assertThat(preview.rejectionReason()).isEqualTo("error rate 50.0% > 10.0% threshold");
    assertThat(target.judgments()).isZero();
  }
}
