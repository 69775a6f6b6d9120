package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * A load whose counts do not add up is refused, never completed: a trigger in the test database
 * silently drops one new row, so the rows the load reports inserted fall one short of the valid
 * rows. Two guards stand in the way, each proven alone: the pipeline's own check (with the
 * database's {@code counts_reconcile} constraint dropped), and that constraint (written to directly).
 */
class MiscountTest {
  private static final ObjectRef REF = ref("incoming/judgments/miscount.csv");
  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private final IntakeConfig config = IntakeConfig.defaults().withChunkRows(4).withTransientRetries(0);

  private void dropRowSilently(String caseNumber) {
    db.jdbi().useHandle(h -> h.execute("""
        CREATE FUNCTION intake.test_drop_row() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.case_number = '%s' THEN RETURN NULL; END IF;
            RETURN NEW;
        END;
        $$;
        CREATE TRIGGER test_drop_row BEFORE INSERT ON intake.judgments
            FOR EACH ROW EXECUTE FUNCTION intake.test_drop_row()""".formatted(caseNumber)));
  }

  @Test
  void loadWhoseInsertedRowsFallShortOfItsValidRowsIsRefusedByThePipelineAndCommitsNothing() {
    dropRowSilently("M-3");
    // the pipeline's check alone: the database would take the miscounted completion
    db.jdbi().useHandle(h -> h.execute("ALTER TABLE intake.batches DROP CONSTRAINT counts_reconcile"));
    var pipeline = new IntakePipeline(db, config, Fixtures.CLOCK);

    assertThatThrownBy(() -> pipeline.ingest(REF, stream(Fixtures.csvOfRows("M-", 6)), IngestOptions.DEFAULT))
        .isInstanceOf(IntakeFailedException.class)
        .hasMessage("batch 1 could not be loaded: counts do not reconcile: "
            + "BatchCounts[total=6, valid=6, invalid=0, inserted=5, updated=0, unchanged=0]");

    Batch b = target.batch(1);
    assertThat(b.status()).isEqualTo("uploaded"); // given back, not completed
    assertThat(b.rowsInserted()).isNull();
    assertThat(b.finishedAt()).isNull();
    assertThat(b.lastError()).startsWith("counts do not reconcile: ");
    assertThat(new BatchStore(db.jdbi()).attempts(1).get(0).outcome()).isEqualTo("given back");
    assertThat(target.judgments()).as("the load's rows rolled back with it").isZero();
    assertThat(target.count("SELECT count(*) FROM intake.batches WHERE status = 'completed'")).isZero();
  }

  @Test
  void completionWhoseCountsDoNotReconcileIsRefusedByTheDatabase() throws SQLException {
    var store = new BatchStore(db.jdbi());
    var claim = (Claim.Claimed) db.jdbi().withHandle(h -> store.claim(h, REF, BigDecimal.TEN,
        config.staleAfter()));
    try (Connection load = db.connection()) {
      load.setAutoCommit(false);
      var miscounted = new BatchCounts(6, 6, 0, 5, 0, 0);
      assertThatThrownBy(() -> store.complete(load, claim, miscounted, "ef".repeat(32), 100))
          .isInstanceOfSatisfying(SQLException.class, e -> {
            assertThat(e.getSQLState()).isEqualTo("23514");
            assertThat(e.getMessage()).contains("counts_reconcile");
          });
      load.rollback();
    }
    Batch b = target.batch(claim.batchId());
    assertThat(b.status()).isEqualTo("staging");
    assertThat(b.rowsInserted()).isNull();
  }
}
