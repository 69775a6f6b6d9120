package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.intake.Fixtures;
import dev.dragonfly.intake.IngestOptions;
import dev.dragonfly.intake.IntakeConfig;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.intake.Json;
import dev.dragonfly.intake.ObjectRef;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.ErrorSpike;
import dev.dragonfly.sentinel.check.Status;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** error_spike on both sides of its thresholds, its window and its minimum, with what it reports. */
class ErrorSpikeTest {
  private final SentinelFixture f = new SentinelFixture();
  private final ErrorSpike check = new ErrorSpike(f.db.jdbi(), new ErrorSpike.Thresholds(Duration.ofHours(1),
      new BigDecimal("10"), new BigDecimal("50"), 100, new BigDecimal("50"), 3));
  private static final String HEADER_REJECTION = "the header lacks required column case_number; it has column it does not "
      + "recognise: 'Case No' (map one with an alias: sentinel source add NAME --alias 'case no=case_number')";

  /** A decided batch of {@code source}, finished at {@code finished}, with {@code invalid} row errors of {@code code}. */
  private long batch(String source, Instant finished, long total, long invalid, String code) {
    long id = f.db.jdbi().withHandle(h -> h.createQuery("""
            INSERT INTO intake.batches (source, object_key, object_version, status, error_threshold_percent,
                                        rows_total, rows_valid, rows_invalid, rows_inserted, rows_updated, rows_unchanged,
                                        started_at, finished_at)
            VALUES (:source, 'incoming/' || :source || '/' || gen_random_uuid() || '.csv', 'v1', 'completed', 100,
                    :total, :valid, :invalid, :valid, 0, 0, :finished, :finished) RETURNING id""")
        .bind("source", source).bind("total", total).bind("valid", total - invalid).bind("invalid", invalid)
        .bind("finished", finished).mapTo(Long.class).one());
    f.db.jdbi().useHandle(h -> h.createUpdate("""
            INSERT INTO intake.row_errors (batch_id, attempt, record_number, column_name, code, message)
            SELECT :id, 1, n + 1, 'judgment_amount', :code, 'judgment_amount is not a number; write it like 1250.00'
            FROM generate_series(1, :n) AS n""")
        .bind("id", id).bind("code", code).bind("n", invalid).execute());
    return id;
  }

  /**
   * {@code n} decided batches of {@code source} finished at {@code finished}: with {@code code}, failed with that
   * file-level code as the pipeline records it (no rows counted, one error on record 1); without, completed clean.
   */
  private void files(String source, Instant finished, int n, String code) {
    f.db.jdbi().useHandle(h -> h.createUpdate("INSERT INTO intake.source_profiles (name, dataset) VALUES (:source, 'judgments') "
        + "ON CONFLICT DO NOTHING").bind("source", source).execute());
    f.db.jdbi().useHandle(h -> h.createUpdate("""
            WITH b AS (
              INSERT INTO intake.batches (source, object_key, object_version, status, error_threshold_percent,
                                          rows_total, rows_valid, rows_invalid, rows_inserted, rows_updated, rows_unchanged,
                                          rejection_reason, started_at, finished_at)
              SELECT :source, 'incoming/' || :source || '/' || gen_random_uuid() || '.csv', 'v1',
                     CASE WHEN :code IS NULL THEN 'completed' ELSE 'failed' END, 10,
                     CASE WHEN :code IS NULL THEN 10 ELSE 0 END, CASE WHEN :code IS NULL THEN 10 ELSE 0 END, 0,
                     CASE WHEN :code IS NULL THEN 10 ELSE 0 END, 0, 0,
                     CASE WHEN :code IS NULL THEN NULL ELSE :code || ': ' || :message END, :finished, :finished
              FROM generate_series(1, :n) RETURNING id)
            INSERT INTO intake.row_errors (batch_id, attempt, record_number, code, message)
            SELECT id, 1, 1, :code, :message FROM b WHERE :code IS NOT NULL""")
        .bind("source", source).bind("finished", finished).bind("n", n).bind("code", code)
        .bind("message", HEADER_REJECTION).execute());
  }

  private CheckResult pass() {
    return check.run(f.clock.instant());
  }

  @Test
  void justUnderTheWarningShareIsOkAndAtItIsAWarning() {
    batch("judgments", f.clock.instant().minus(Duration.ofMinutes(10)), 1000, 99, "INVALID_AMOUNT");
    assertThat(pass().status()).isEqualTo(Status.OK);

    batch("judgments", f.clock.instant().minus(Duration.ofMinutes(5)), 1000, 101, "INVALID_AMOUNT"); // 200 of 2000
    CheckResult r = pass();

    assertThat(r.status()).isEqualTo(Status.WARNING);
    assertThat(r.summary()).startsWith("source judgments: 10% of rows invalid over the last 60 min (200 of 2000 rows in 2 batches");
  }

  @Test
  void justUnderTheCriticalShareIsAWarningAndAtItCriticalWithTopCodesBatchesAndASample() {
    long worst = batch("judgments", f.clock.instant().minus(Duration.ofMinutes(3)), 1000, 499, "INVALID_AMOUNT");
    assertThat(pass().status()).isEqualTo(Status.WARNING);

    long other = batch("judgments", f.clock.instant().minus(Duration.ofMinutes(2)), 2, 1, "INVALID_DATE_FORMAT"); // 500 of 1002: still under half
    batch("judgments", f.clock.instant().minus(Duration.ofMinutes(1)), 2, 2, "MISSING_REQUIRED_FIELD"); // 502 of 1004
    CheckResult r = pass();

    assertThat(r.status()).isEqualTo(Status.CRITICAL);
    assertThat(r.findings()).singleElement().satisfies(finding -> {
      assertThat(finding.subject()).isEqualTo("source judgments");
      assertThat(finding.facts().get("invalid_percent")).isEqualTo(new BigDecimal("50.00"));
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> codes = (List<Map<String, Object>>) finding.facts().get("top_error_codes");
      assertThat(codes).extracting(c -> c.get("code")).containsExactly("INVALID_AMOUNT", "MISSING_REQUIRED_FIELD", "INVALID_DATE_FORMAT");
      assertThat(codes.get(0)).containsEntry("errors", 499L).containsEntry("batches", 1L)
          .containsEntry("sample_message", "judgment_amount is not a number; write it like 1250.00");
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> batches = (List<Map<String, Object>>) finding.facts().get("most_affected_batches");
      assertThat(batches.get(0)).containsEntry("batch_id", worst).containsEntry("rows_invalid", 499L);
      assertThat(batches).extracting(b -> b.get("batch_id")).contains(other);
    });
    assertThat(r.summary()).contains("INVALID_AMOUNT 499", "sentinel batch errors " + worst);
  }

  @Test
  void belowTheMinimumRowCountEvenAllInvalidIsNoSpike() {
    batch("judgments", f.clock.instant().minus(Duration.ofMinutes(1)), 99, 99, "INVALID_AMOUNT");
    assertThat(pass().status()).isEqualTo(Status.OK);

    batch("judgments", f.clock.instant().minus(Duration.ofMinutes(1)), 1, 1, "INVALID_AMOUNT");
    assertThat(pass().status()).isEqualTo(Status.CRITICAL);
  }

  @Test
  void onlyBatchesFinishedInsideTheWindowCount() {
    batch("judgments", f.clock.instant(), 1000, 1000, "INVALID_AMOUNT");
    f.clock.advance(Duration.ofMinutes(59));
    assertThat(pass().status()).isEqualTo(Status.CRITICAL);

    f.clock.advance(Duration.ofMinutes(2));
    assertThat(pass().status()).isEqualTo(Status.OK);
  }

  @Test
  void eachSourceIsJudgedOnItsOwnRows() {
    f.db.jdbi().useHandle(h -> h.execute("INSERT INTO intake.source_profiles (name, dataset) VALUES ('acme', 'judgments')"));
    batch("judgments", f.clock.instant().minus(Duration.ofMinutes(1)), 100_000, 0, "INVALID_AMOUNT");
    batch("acme", f.clock.instant().minus(Duration.ofMinutes(1)), 1000, 600, "INVALID_AMOUNT");

    CheckResult r = pass();

    assertThat(r.status()).isEqualTo(Status.CRITICAL);
    assertThat(r.findings()).extracting(x -> x.subject()).containsExactly("source acme");
  }

  @Test
  void aSpikeOfFullSsnsReportsTheCodeAndNeverTheValues() {
    List<String> rows = new ArrayList<>();
    for (int i = 1; i <= 200; i++) {
      rows.add(i % 2 == 0 ? Fixtures.row("C-" + i).replace(",0000,", ",000-12-3456,") : Fixtures.row("C-" + i));
    }
    var pipeline = new IntakePipeline(f.db, IntakeConfig.defaults(), Clock.systemUTC());
    pipeline.ingest(new ObjectRef("judgments", "incoming/judgments/ssn.csv", "v1"),
        Fixtures.stream(Fixtures.csv(rows.toArray(String[]::new))), IngestOptions.DEFAULT);

    CheckResult r = check.run(Instant.now());

    assertThat(r.status()).isEqualTo(Status.CRITICAL);
    String everything = Json.write(r);
    assertThat(everything).contains("INVALID_SSN_LAST4").doesNotContain("000-12-3456").doesNotContain("000123456");
  }

  @Test
  void aSourceWhoseFilesAreAllRejectedAtTheHeaderWarnsWithTheCodeAndTheHeadersItHas() {
    f.db.jdbi().useHandle(h -> h.execute("INSERT INTO intake.source_profiles (name, dataset) VALUES ('acme', 'judgments')"));
    var pipeline = new IntakePipeline(f.db, IntakeConfig.defaults(), Clock.systemUTC());
    for (int i = 1; i <= 20; i++) { // the vendor renamed case_number in its export
      String file = Fixtures.csv(Fixtures.row("C-" + i)).replaceFirst("^case_number,", "Case No,");
      var result = pipeline.ingest(new ObjectRef("acme", "incoming/acme/renamed-" + i + ".csv", "v1"), Fixtures.stream(file),
          IngestOptions.DEFAULT);
      assertThat(result.errorsByCode()).containsOnlyKeys("MISSING_REQUIRED_COLUMN");
    }

    CheckResult r = check.run(Instant.now());

    assertThat(r.status()).isEqualTo(Status.WARNING);
    assertThat(r.findings()).singleElement().satisfies(finding -> {
      assertThat(finding.subject()).isEqualTo("source acme");
      assertThat(finding.status()).isEqualTo(Status.WARNING);
      assertThat(finding.facts()).containsEntry("batches", 20L).containsEntry("rejected_files", 20L).containsEntry("rows_total", 0L);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> rejections = (List<Map<String, Object>>) finding.facts().get("file_rejections");
      assertThat(rejections).singleElement().satisfies(x -> assertThat(x)
          .containsEntry("code", "MISSING_REQUIRED_COLUMN").containsEntry("batches", 20L));
    });
    assertThat(r.summary()).startsWith("source acme: 20 of 20 files rejected whole over the last 60 min "
            + "(MISSING_REQUIRED_COLUMN in 20 file(s): \"the header lacks required column case_number; it has column it does not "
            + "recognise: 'Case No'")
        .contains("; run 'sentinel batch errors ")
        .endsWith("then fix the export with the vendor or the source profile's aliases and re-ingest the rejected batches");
    assertThat(Json.write(r)).doesNotContain("Acme Credit LLC").doesNotContain("Jane Example").doesNotContain("1250.00");
  }

  @Test
  void justUnderTheRejectedFilesShareIsOkAndAtItAWarning() {
    Instant finished = f.clock.instant().minus(Duration.ofMinutes(5));
    files("acme", finished, 50, null);
    files("acme", finished, 49, "MISSING_REQUIRED_COLUMN"); // 49 of 99
    CheckResult under = pass();
    assertThat(under.status()).as(under.summary()).isEqualTo(Status.OK);
    assertThat(under.summary()).isEqualTo("no error spike over the last 60 min (500 rows in 99 batches, 49 file(s) rejected)");

    files("acme", finished, 1, "MALFORMED_CSV"); // 50 of 100
    CheckResult at = pass();

    assertThat(at.status()).isEqualTo(Status.WARNING);
    assertThat(at.summary()).startsWith("source acme: 50 of 100 files rejected whole over the last 60 min "
        + "(MISSING_REQUIRED_COLUMN in 49 file(s): \"the header lacks required column case_number; it has column it does not "
        + "recognise: 'Case No'").contains("; MALFORMED_CSV in 1 file(s): ");
  }

  @Test
  void belowTheMinimumBatchCountEvenAllRejectedIsNoSpike() {
    files("acme", f.clock.instant().minus(Duration.ofMinutes(1)), 2, "MISSING_REQUIRED_COLUMN");
    assertThat(pass().status()).isEqualTo(Status.OK);

    files("acme", f.clock.instant().minus(Duration.ofMinutes(1)), 1, "MISSING_REQUIRED_COLUMN");
    assertThat(pass().status()).isEqualTo(Status.WARNING);
  }

  @Test
  void filesWhoseObjectWasGoneOrReplacedBeforeItWasReadAreNotRejectionsOfTheVendorsData() {
    files("acme", f.clock.instant().minus(Duration.ofMinutes(1)), 5, "OBJECT_NOT_FOUND");
    files("acme", f.clock.instant().minus(Duration.ofMinutes(1)), 5, "OBJECT_SUPERSEDED");
    CheckResult r = pass();
    assertThat(r.status()).as(r.summary()).isEqualTo(Status.OK);

    files("acme", f.clock.instant().minus(Duration.ofMinutes(1)), 10, "ERROR_RATE_EXCEEDED"); // 10 of 20
    assertThat(pass().status()).isEqualTo(Status.WARNING);
  }
}
