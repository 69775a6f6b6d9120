package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.HEADER;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Every row-level code, each from an input that triggers it, with its record number and column. */
class ValidationRulesTest {
  private final Database db = TestDatabase.fresh();
  private final IntakePipeline pipeline = new IntakePipeline(db, IntakeConfig.defaults(), Fixtures.CLOCK);
  private final Target target = new Target(db);
  private static final IngestOptions LENIENT = IngestOptions.DEFAULT.withThreshold(new BigDecimal("100"));

  record Case(String name, String badRow, ErrorCode code, String column) {
    @Override public String toString() {
      return name;
    }
  }

  static List<Case> rowLevelCodes() {
    String ok = "Acme Credit LLC,Jane Example,1250.00,2024-03-01,District Court,Kings,1 Example St,0000,jane@example.com";
    return List.of(
        new Case("missing case number", "," + ok, ErrorCode.MISSING_REQUIRED_FIELD, "case_number"),
        new Case("blank plaintiff", "C-9,  ,Jane Example,1.00,2024-03-01,,,,,", ErrorCode.MISSING_REQUIRED_FIELD, "plaintiff_name"),
        new Case("missing amount", "C-9,Acme,Jane,,2024-03-01,,,,,", ErrorCode.MISSING_REQUIRED_FIELD, "judgment_amount"),
        new Case("case number over 64", "C" + "9".repeat(64) + "," + ok, ErrorCode.FIELD_TOO_LONG, "case_number"),
        new Case("defendant over 255", "C-9,Acme," + "x".repeat(256) + ",1.00,2024-03-01,,,,,", ErrorCode.FIELD_TOO_LONG, "defendant_name"),
        new Case("court over 255", "C-9,Acme,Jane,1.00,2024-03-01," + "c".repeat(256) + ",,,,", ErrorCode.FIELD_TOO_LONG, "court"),
        new Case("duplicate case number", "C-1," + ok, ErrorCode.DUPLICATE_CASE_NUMBER, "case_number"),
        new Case("amount not a number", "C-9,Acme,Jane,12x,2024-03-01,,,,,", ErrorCode.INVALID_AMOUNT, "judgment_amount"),
        new Case("negative amount", "C-9,Acme,Jane,-5.00,2024-03-01,,,,,", ErrorCode.INVALID_AMOUNT, "judgment_amount"),
        new Case("three decimals", "C-9,Acme,Jane,1.005,2024-03-01,,,,,", ErrorCode.INVALID_AMOUNT, "judgment_amount"),
        new Case("amount 10^10", "C-9,Acme,Jane,10000000000,2024-03-01,,,,,", ErrorCode.INVALID_AMOUNT, "judgment_amount"),
        new Case("US date", "C-9,Acme,Jane,1.00,03/01/2024,,,,,", ErrorCode.INVALID_DATE_FORMAT, "judgment_date"),
        new Case("impossible date", "C-9,Acme,Jane,1.00,2024-02-30,,,,,", ErrorCode.INVALID_DATE_FORMAT, "judgment_date"),
        new Case("year zero", "C-9,Acme,Jane,1.00,0000-01-01,,,,,", ErrorCode.INVALID_DATE_FORMAT, "judgment_date"),
        new Case("future date", "C-9,Acme,Jane,1.00,2026-06-16,,,,,", ErrorCode.INVALID_DATE_FORMAT, "judgment_date"),
        new Case("ssn last4 too short", "C-9,Acme,Jane,1.00,2024-03-01,,,,123,", ErrorCode.INVALID_SSN_LAST4, "defendant_ssn_last4"),
        new Case("full ssn", "C-9,Acme,Jane,1.00,2024-03-01,,,,000-12-3456,", ErrorCode.INVALID_SSN_LAST4, "defendant_ssn_last4"),
        new Case("email without domain", "C-9,Acme,Jane,1.00,2024-03-01,,,,,jane@", ErrorCode.INVALID_EMAIL, "defendant_email"),
        new Case("email with space", "C-9,Acme,Jane,1.00,2024-03-01,,,,,jane doe@example.com", ErrorCode.INVALID_EMAIL, "defendant_email"),
        new Case("too few fields", "C-9,Acme,Jane,1.00", ErrorCode.WRONG_FIELD_COUNT, null),
        new Case("unquoted comma", "C-9,Acme,Doe, Jane,1.00,2024-03-01,,,,,", ErrorCode.WRONG_FIELD_COUNT, null),
        new Case("formula", "C-9,=HYPERLINK(\"x\"),Jane,1.00,2024-03-01,,,,,", ErrorCode.FORMULA_INJECTION, "plaintiff_name"),
        new Case("at sign formula", "C-9,Acme,@SUM(A1),1.00,2024-03-01,,,,,", ErrorCode.FORMULA_INJECTION, "defendant_name"),
        new Case("leading tab", "C-9,Acme,\"\tJane\",1.00,2024-03-01,,,,,", ErrorCode.FORMULA_INJECTION, "defendant_name"),
        // the stored value is stripped, so the check must look past leading spaces
        new Case("formula after spaces", "C-9,Acme,Jane,1.00,2024-03-01,  =cmd,,,,", ErrorCode.FORMULA_INJECTION, "court"),
        new Case("formula after a space", "C-9, =HYPERLINK(\"x\"),Jane,1.00,2024-03-01,,,,,", ErrorCode.FORMULA_INJECTION,
            "plaintiff_name"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rowLevelCodes")
  void reportsCodeRecordAndColumn(Case c) {
    String file = HEADER + "\n" + row("C-1") + "\n" + c.badRow() + "\n" + row("C-2") + "\n";

    IntakeResult r = pipeline.ingest(ref("rule.csv"), stream(file), LENIENT);

    assertThat(r.status()).isEqualTo("completed");
    assertThat(r.counts()).isEqualTo(new BatchCounts(3, 2, 1, 2, 0, 0));
    assertThat(r.errorsByCode()).isEqualTo(Map.of(c.code().name(), 1L));
    List<RowError> errors = target.errors(r.batchId());
    assertThat(errors).hasSize(1);
    RowError e = errors.get(0);
    assertThat(e.code()).isEqualTo(c.code());
    assertThat(e.recordNumber()).isEqualTo(3L); // header is record 1, the bad row record 3
    assertThat(e.column()).isEqualTo(c.column());
    assertThat(target.judgments()).isEqualTo(2);
  }

  @Test
  void plainSignedNumbersInTextColumnsAreNotFormulas() {
    String file = HEADER + "\nC-1,-12.50,+7,1.00,2024-03-01,,,,,\n";
    IntakeResult r = pipeline.ingest(ref("numbers.csv"), stream(file), LENIENT);
    assertThat(r.rowsInvalid()).isZero();
    assertThat(target.judgment("C-1")).containsEntry("plaintiff_name", "-12.50").containsEntry("defendant_name", "+7");
  }

  @Test
  void rowWithTwoDefectsGetsTwoErrorsAndCountsOnce() {
    String file = HEADER + "\n" + row("C-1") + "\nC-2,Acme,Jane,abc,2024-99-01,,,,,\n";

    IntakeResult r = pipeline.ingest(ref("two.csv"), stream(file), LENIENT);

    assertThat(r.rowsInvalid()).isEqualTo(1);
    assertThat(r.rowsTotal()).isEqualTo(2);
    assertThat(r.errorsByCode()).isEqualTo(Map.of("INVALID_AMOUNT", 1L, "INVALID_DATE_FORMAT", 1L));
    assertThat(target.errors(r.batchId())).extracting(RowError::recordNumber, RowError::column, RowError::code)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(3L, "judgment_amount", ErrorCode.INVALID_AMOUNT),
            org.assertj.core.groups.Tuple.tuple(3L, "judgment_date", ErrorCode.INVALID_DATE_FORMAT));
  }

  @Test
  void duplicateCaseNumberAcrossChunksIsFoundAndOnlyTheFirstLoads() {
    var small = new IntakePipeline(db, IntakeConfig.defaults().withChunkRows(2), Fixtures.CLOCK);
    String file = Fixtures.csv(row("C-1"), row("C-2"), row("C-3"), row("C-1", "99.00"), row("C-4"));

    IntakeResult r = small.ingest(ref("dups.csv"), stream(file), LENIENT);

    assertThat(r.counts()).isEqualTo(new BatchCounts(5, 4, 1, 4, 0, 0));
    assertThat(target.errors(r.batchId())).singleElement()
        .satisfies(e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.DUPLICATE_CASE_NUMBER);
          assertThat(e.recordNumber()).isEqualTo(5L);
          assertThat(e.message()).contains("record 2");
        });
    assertThat(target.judgment("C-1")).containsEntry("judgment_amount", new BigDecimal("1250.00"));
  }

  @Test
  void headerAliasesAndExtraDateFormatsComeFromTheSourceProfile() {
    db.jdbi().useHandle(h -> h.execute("""
        INSERT INTO intake.source_profiles (name, dataset, header_aliases, date_formats)
        VALUES ('acme', 'judgments', '{"case no": "case_number", "amount": "judgment_amount"}', '{MM/dd/yyyy}')"""));
    String file = "Case No,plaintiff_name,defendant_name,AMOUNT,judgment_date,Extra\nC-1,Acme,Jane,5.00,03/01/2024,x\n";

    IntakeResult r = pipeline.ingest(new ObjectRef("acme", "acme.csv", "v1"), stream(file), IngestOptions.DEFAULT);

    assertThat(r.rowsInserted()).isEqualTo(1);
    assertThat(r.ignoredColumns()).containsExactly("Extra");
    assertThat(target.judgment("C-1")).containsEntry("judgment_date", java.sql.Date.valueOf("2024-03-01"));
  }
}
