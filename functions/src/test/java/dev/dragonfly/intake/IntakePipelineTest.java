package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.csv;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IntakePipelineTest {
  private final Database db = TestDatabase.fresh();
  private final IntakePipeline pipeline = new IntakePipeline(db, IntakeConfig.defaults(), Fixtures.CLOCK);

  @Test
  void loadsValidRowsAndReportsInvalidOnes() {
    IntakeResult r = pipeline.ingest(ref("a.csv"),
        stream(csv(row("C-1"), row("C-2"), row("C-3", "abc"))), IngestOptions.DEFAULT.withThreshold(new java.math.BigDecimal("50")));
    assertThat(r.status()).isEqualTo("completed");
    assertThat(r.counts()).isEqualTo(new BatchCounts(3, 2, 1, 2, 0, 0));
    assertThat(r.errorsByCode()).containsExactlyEntriesOf(java.util.Map.of("INVALID_AMOUNT", 1L));
  }
}
