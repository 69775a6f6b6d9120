package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.HEADER;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static dev.dragonfly.intake.Fixtures.stream;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Seeded (obviously fake) SSNs and card numbers never reach logs, row errors or the errors CSV. */
class PersonalDataTest {
  // 000 is never issued as an SSN area; 4111 1111 1111 1111 is the well-known test card number.
  private static final String FAKE_SSN = "000-12-3456";
  private static final String FAKE_CARD = "4111 1111 1111 1111";
  private static final List<String> NEEDLES =
      List.of(FAKE_SSN, "000123456", "12-3456", FAKE_CARD, "4111111111111111", "1111 1111");

  private final Database db = TestDatabase.fresh();
  private final IntakePipeline pipeline = new IntakePipeline(db, IntakeConfig.defaults(), Fixtures.CLOCK);
  private final Target target = new Target(db);

  @Test
  void seededSsnsAndCardNumbersAppearNowhere() {
    String file = HEADER + "\n"
        + row("C-1") + "\n"
        + "C-2,Acme,Jane,1.00,2024-03-01,,,,\"" + FAKE_SSN + "\",\n"            // full SSN in ssn_last4
        + "C-3,Acme,Jane,1.00,2024-03-01,,,,000123456,\n"                       // undashed full SSN
        + "C-4,Acme,Jane,1.00,2024-03-01,,,,,\"" + FAKE_CARD + "\"\n"           // card where an email goes
        + "C-5,Acme,Jane,1.00,2024-03-01,\"" + FAKE_CARD + " " + "z".repeat(300) + "\",,,,\n" // too long
        + "C-6,Acme,Jane,1.00,2024-03-01,,,,\"" + FAKE_SSN + "\"\n"             // wrong field count
        + "C-7,-" + FAKE_CARD.replace(" ", "-") + ",Jane,1.00,2024-03-01,,,,,\n"  // formula-looking card
        + "C-8,Acme,Jane,1.00,2024-03-01,,," + FAKE_CARD + ",,\n";              // card in free text: loads
    PrintStream originalErr = System.err;
    var captured = new ByteArrayOutputStream();
    IntakeResult r;
    try {
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      r = pipeline.ingest(ref("pii.csv"), stream(file), IngestOptions.DEFAULT.withThreshold(new BigDecimal("100")));
    } finally {
      System.setErr(originalErr);
    }
    String logs = captured.toString(StandardCharsets.UTF_8);
    List<RowError> errors = target.errors(r.batchId());
    var csv = new StringWriter();
    var writer = new ErrorsCsvWriter(csv);
    errors.forEach(writer::write);

    assertThat(logs).as("the capture holds the pipeline's log").contains("batch " + r.batchId() + " source=judgments");
    assertThat(r.rowsInvalid()).isEqualTo(6);
    assertThat(errors).extracting(RowError::code).containsExactly(ErrorCode.INVALID_SSN_LAST4,
        ErrorCode.INVALID_SSN_LAST4, ErrorCode.INVALID_EMAIL, ErrorCode.FIELD_TOO_LONG, ErrorCode.WRONG_FIELD_COUNT,
        ErrorCode.FORMULA_INJECTION);
    assertThat(errors.get(0).message()).contains("full SSN").contains("not stored");
    for (String needle : NEEDLES) {
      assertThat(logs).doesNotContain(needle);
      assertThat(csv.toString()).doesNotContain(needle);
      assertThat(errors).allSatisfy(e -> assertThat(e.message()).doesNotContain(needle));
      assertThat(Json.write(r)).doesNotContain(needle);
    }
    assertThat(target.count("SELECT count(*) FROM intake.judgments WHERE defendant_ssn_last4 IS NOT NULL "
        + "AND defendant_ssn_last4 <> '0000'")).isZero();
  }
}
