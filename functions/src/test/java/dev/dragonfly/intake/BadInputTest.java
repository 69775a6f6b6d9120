package dev.dragonfly.intake;

import static dev.dragonfly.intake.Fixtures.HEADER;
import static dev.dragonfly.intake.Fixtures.ref;
import static dev.dragonfly.intake.Fixtures.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Hostile and unusual files: normal input loads; broken input gets a clear code and loads nothing. */
class BadInputTest {
  private final Database db = TestDatabase.fresh();
  // small chunks: by the time a late defect is found, earlier rows were already written and must vanish
  private final IntakePipeline pipeline = new IntakePipeline(db, IntakeConfig.defaults().withChunkRows(5), Fixtures.CLOCK);
  private final Target target = new Target(db);
  private static final IngestOptions LENIENT = IngestOptions.DEFAULT.withThreshold(new BigDecimal("100"));

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    var out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  /** Twenty valid rows: anything found after them proves a rejected file leaves nothing behind. */
  private static String goodRows() {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= 20; i++) sb.append(row("G-" + i)).append('\n');
    return sb.toString();
  }

  private IntakeResult ingest(byte[] file) {
    return pipeline.ingest(ref("input.csv"), new ByteArrayInputStream(file), LENIENT);
  }

  private void assertRejected(IntakeResult r, ErrorCode code, String reasonContains) {
    assertThat(r.status()).isEqualTo("failed");
    assertThat(r.rejectionReason()).startsWith(code.name() + ": ").contains(reasonContains);
    assertThat(r.rowsInserted()).isZero();
    assertThat(target.judgments()).isZero();
    assertThat(target.batch(r.batchId()).status()).isEqualTo("failed");
    assertThat(target.errors(r.batchId())).extracting(RowError::code).contains(code);
  }

  @Test
  void byteOrderMarkAndCrlfAreNormal() {
    byte[] file = concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
        bytes(HEADER + "\r\n" + row("C-1") + "\r\n" + row("C-2") + "\r\n"));

    IntakeResult r = ingest(file);

    assertThat(r.counts()).isEqualTo(new BatchCounts(2, 2, 0, 2, 0, 0));
    assertThat(target.judgment("C-2")).containsEntry("defendant_email", "jane@example.com");
  }

  @Test
  void quotedCommasQuotesAndNewlinesAreNormal() {
    String file = HEADER + "\nC-1,\"Acme, Inc.\",\"Jane \"\"JJ\"\" Example\",1.00,2024-03-01,,,\"1 Example St\nApt 2\",,\n"
        + row("C-2") + "\n";

    IntakeResult r = ingest(bytes(file));

    assertThat(r.counts()).isEqualTo(new BatchCounts(2, 2, 0, 2, 0, 0));
    assertThat(target.judgment("C-1"))
        .containsEntry("plaintiff_name", "Acme, Inc.")
        .containsEntry("defendant_name", "Jane \"JJ\" Example")
        .containsEntry("defendant_address", "1 Example St\nApt 2");
    assertThat(target.judgment("C-2")).containsEntry("source_record_number", 3L);
  }

  @Test
  void nonAsciiTextLoadsIntact() {
    IntakeResult r = ingest(bytes(HEADER + "\nC-1,Crédit Agricole,Zoë Ñúñez 名前,1.00,2024-03-01,,,,,\n"));

    assertThat(r.rowsInserted()).isEqualTo(1);
    assertThat(target.judgment("C-1")).containsEntry("defendant_name", "Zoë Ñúñez 名前");
  }

  @Test
  void invalidUtf8RejectsTheFile() {
    byte[] file = concat(bytes(HEADER + "\n" + goodRows() + "C-99,Acme,Jane "), new byte[] {(byte) 0xC3, (byte) 0x28},
        bytes(",1.00,2024-03-01,,,,,\n"));

    assertRejected(ingest(file), ErrorCode.INVALID_ENCODING, "record 22");
  }

  @Test
  void nulByteRejectsTheFile() {
    byte[] file = concat(bytes(HEADER + "\n" + goodRows() + "C-99,Acme,Jane"), new byte[] {0},
        bytes(",1.00,2024-03-01,,,,,\n"));

    assertRejected(ingest(file), ErrorCode.INVALID_ENCODING, "NUL byte");
  }

  @Test
  void utf16FileIsRejectedWithAHint() {
    byte[] file = concat(new byte[] {(byte) 0xFF, (byte) 0xFE}, HEADER.getBytes(StandardCharsets.UTF_16LE));

    assertRejected(ingest(file), ErrorCode.INVALID_ENCODING, "UTF-16");
  }

  @Test
  void unterminatedQuoteRejectsTheFile() {
    assertRejected(ingest(bytes(HEADER + "\n" + goodRows() + "C-99,\"Acme,Jane,1.00,2024-03-01,,,,,\n" + row("C-100") + "\n")),
        ErrorCode.MALFORMED_CSV, "never closed");
  }

  @Test
  void textAfterAClosingQuoteRejectsTheFile() {
    assertRejected(ingest(bytes(HEADER + "\n" + goodRows() + "C-99,\"Acme\"x,Jane,1.00,2024-03-01,,,,,\n")),
        ErrorCode.MALFORMED_CSV, "after a closing quote");
  }

  @Test
  void emptyFileIsRejected() {
    assertRejected(ingest(new byte[0]), ErrorCode.EMPTY_FILE, "the file is empty");
  }

  @Test
  void headerOnlyFileIsRejected() {
    assertRejected(ingest(bytes(HEADER + "\n")), ErrorCode.EMPTY_FILE, "no data rows");
  }

  @Test
  void missingRequiredColumnRejectsTheFile() {
    String header = HEADER.replace("judgment_amount,", "");
    assertRejected(ingest(bytes(header + "\nC-1,Acme,Jane,2024-03-01,,,,,\n")), ErrorCode.MISSING_REQUIRED_COLUMN,
        "lacks required column judgment_amount");
  }

  @Test
  void duplicateHeaderNamesRejectTheFile() {
    assertRejected(ingest(bytes(HEADER + ",Case_Number \n" + row("C-1") + ",C-1\n")), ErrorCode.DUPLICATE_COLUMN,
        "names column case_number twice (columns 1 and 11)");
  }

  @Test
  void semicolonDelimitedFileIsRejectedWithAHint() {
    assertRejected(ingest(bytes(HEADER.replace(',', ';') + "\n" + row("C-1").replace(',', ';') + "\n")),
        ErrorCode.MALFORMED_CSV, "semicolon-delimited");
  }

  @Test
  void oneMebibyteFieldIsAFieldTooLongRowError() {
    String huge = "x".repeat(1 << 20);
    IntakeResult r = ingest(bytes(HEADER + "\n" + row("C-1") + "\nC-2,Acme,Jane,1.00,2024-03-01,,," + huge + ",,\n"));

    assertThat(r.counts()).isEqualTo(new BatchCounts(2, 1, 1, 1, 0, 0));
    assertThat(target.errors(r.batchId())).singleElement().satisfies(e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.FIELD_TOO_LONG);
      assertThat(e.column()).isEqualTo("defendant_address");
      assertThat(e.message()).isEqualTo("defendant_address is 1048576 bytes long; the limit is 500 characters");
    });
  }

  @Test
  void tenThousandColumnRowIsAWrongFieldCountRowError() {
    String wide = row("C-2") + ",x".repeat(10_000 - 10);
    IntakeResult r = ingest(bytes(HEADER + "\n" + row("C-1") + "\n" + wide + "\n" + row("C-3") + "\n"));

    assertThat(r.counts()).isEqualTo(new BatchCounts(3, 2, 1, 2, 0, 0));
    assertThat(target.errors(r.batchId())).singleElement().satisfies(e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.WRONG_FIELD_COUNT);
      assertThat(e.recordNumber()).isEqualTo(3L);
      assertThat(e.message()).startsWith("the record has 10000 fields but the header has 10");
    });
  }

  @Test
  void fileOverTheProfileSizeLimitIsRejected() {
    db.jdbi().useHandle(h -> h.execute(
        "INSERT INTO intake.source_profiles (name, dataset, max_file_bytes, max_rows) VALUES ('small', 'judgments', 2000, 5)"));
    InputStream big = new ByteArrayInputStream(bytes(HEADER + "\n" + goodRows()));

    IntakeResult r = pipeline.ingest(new ObjectRef("small", "big.csv", "v1"), big, LENIENT);

    assertRejected(r, ErrorCode.FILE_TOO_LARGE, "2000-byte limit");
  }

  @Test
  void fileOverTheProfileRowLimitIsRejected() {
    db.jdbi().useHandle(h -> h.execute(
        "INSERT INTO intake.source_profiles (name, dataset, max_rows) VALUES ('few', 'judgments', 5)"));

    IntakeResult r = pipeline.ingest(new ObjectRef("few", "many.csv", "v1"),
        new ByteArrayInputStream(bytes(HEADER + "\n" + goodRows())), LENIENT);

    assertRejected(r, ErrorCode.FILE_TOO_LARGE, "more than 5 data rows");
  }

  @Test
  void unknownSourceIsRefusedBeforeAnythingIsRead() {
    InputStream neverRead = new InputStream() {
      @Override public int read() {
        throw new AssertionError("the file must not be read");
      }
    };

    assertThatThrownBy(() -> pipeline.ingest(new ObjectRef("nobody", "x.csv", "v1"), neverRead, LENIENT))
        .isInstanceOf(UnknownSourceException.class)
        .hasMessage("unknown source 'nobody': known sources are [judgments]; add a source profile before sending its files");
    assertThat(target.count("SELECT count(*) FROM intake.batches")).isZero();
  }

  @Test
  void blankLinesAreSkippedAndRecordNumbersFollowRecords() {
    IntakeResult r = ingest(bytes(HEADER + "\n\n" + row("C-1") + "\n\n" + row("C-2", "x") + "\n"));

    assertThat(r.counts()).isEqualTo(new BatchCounts(2, 1, 1, 1, 0, 0));
    assertThat(target.errors(r.batchId())).extracting(RowError::recordNumber).isEqualTo(List.of(3L));
  }
}
