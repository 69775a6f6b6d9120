package dev.dragonfly.intake.csv;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dragonfly.intake.ErrorCode;
import dev.dragonfly.intake.FileRejectedException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The CSV reader on its own: commons-csv behind {@link CsvGuard}. The pipeline's view of the
 * same rules is in BadInputTest and ValidationRulesTest.
 */
class CsvReaderTest {

  /** One record as the reader returned it: number, true field count, and the kept fields (oversize as "<N bytes>"). */
  record Rec(long number, int fieldCount, List<String> fields) {
    static Rec of(long number, String... fields) {
      return new Rec(number, fields.length, List.of(fields));
    }
  }

  static List<Rec> readAll(InputStream in, int maxFieldBytes, int maxFields) throws IOException {
    CsvReader csv = new CsvReader(in, maxFieldBytes, maxFields);
    List<Rec> out = new ArrayList<>();
    while (csv.next()) {
      List<String> fields = new ArrayList<>();
      for (int i = 0; i < csv.keptFieldCount(); i++) {
        fields.add(csv.isOversize(i) ? "<" + csv.fieldLength(i) + " bytes>" : csv.field(i));
      }
      out.add(new Rec(csv.recordNumber(), csv.fieldCount(), fields));
    }
    return out;
  }

  static List<Rec> read(byte[] file) throws IOException {
    return readAll(new ByteArrayInputStream(file), CsvReader.DEFAULT_MAX_FIELD_BYTES, CsvReader.DEFAULT_MAX_FIELDS);
  }

  static List<Rec> read(String file) throws IOException {
    return read(file.getBytes(UTF_8));
  }

  /** Hands out 1 to 3 bytes per read, so every boundary (CRLF, a UTF-8 sequence, a BOM) falls between reads somewhere. */
  static InputStream trickle(byte[] file, long seed) {
    Random random = new Random(seed);
    return new FilterInputStream(new ByteArrayInputStream(file)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 1 + random.nextInt(3)));
      }
    };
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  static void assertRejected(ThrowingCallable reading, ErrorCode code, Long record, String message) {
    assertThatThrownBy(reading).isInstanceOfSatisfying(FileRejectedException.class, e -> {
      assertThat(e.error().code()).isEqualTo(code);
      assertThat(e.error().recordNumber()).isEqualTo(record);
      assertThat(e.error().message()).contains(message);
    });
  }

  /** The cases of the csv-spectrum acid test for CSV parsers (rewritten here, same shapes). */
  @Nested
  class Spectrum {
    static Stream<Arguments> cases() {
      return Stream.of(
          Arguments.of("comma_in_quotes", "first,last,address,city,zip\nJane,Roe,1 Test Way,\"Springfield, ZZ\",00123\n",
              List.of(List.of("first", "last", "address", "city", "zip"),
                  List.of("Jane", "Roe", "1 Test Way", "Springfield, ZZ", "00123"))),
          Arguments.of("empty", "a,b,c\n1,\"\",\"\"\n2,3,4\n",
              List.of(List.of("a", "b", "c"), List.of("1", "", ""), List.of("2", "3", "4"))),
          Arguments.of("empty_crlf", "a,b,c\r\n1,\"\",\"\"\r\n2,3,4\r\n",
              List.of(List.of("a", "b", "c"), List.of("1", "", ""), List.of("2", "3", "4"))),
          Arguments.of("escaped_quotes", "a,b\n1,\"so \"\"called\"\" case\"\n3,4\n",
              List.of(List.of("a", "b"), List.of("1", "so \"called\" case"), List.of("3", "4"))),
          Arguments.of("json", "key,val\n1,\"{\"\"kind\"\": \"\"Point\"\", \"\"at\"\": [1.5, 0.25]}\"\n",
              List.of(List.of("key", "val"), List.of("1", "{\"kind\": \"Point\", \"at\": [1.5, 0.25]}"))),
          Arguments.of("newlines", "a,b,c\n1,2,3\n\"Line one\nline two\",5,6\n7,8,9\n",
              List.of(List.of("a", "b", "c"), List.of("1", "2", "3"), List.of("Line one\nline two", "5", "6"),
                  List.of("7", "8", "9"))),
          Arguments.of("newlines_crlf", "a,b,c\r\n1,2,3\r\n\"Line one\r\nline two\",5,6\r\n7,8,9\r\n",
              List.of(List.of("a", "b", "c"), List.of("1", "2", "3"), List.of("Line one\r\nline two", "5", "6"),
                  List.of("7", "8", "9"))),
          Arguments.of("newlines_cr", "a,b,c\r1,2,3\r\"Line one\rline two\",5,6\r7,8,9\r",
              List.of(List.of("a", "b", "c"), List.of("1", "2", "3"), List.of("Line one\rline two", "5", "6"),
                  List.of("7", "8", "9"))),
          Arguments.of("quotes_and_newlines", "a,b\n1,\"so \n\"\"called\"\" \ncase\"\n3,4\n",
              List.of(List.of("a", "b"), List.of("1", "so \n\"called\" \ncase"), List.of("3", "4"))),
          Arguments.of("simple", "a,b,c\n1,2,3\n", List.of(List.of("a", "b", "c"), List.of("1", "2", "3"))),
          Arguments.of("simple_crlf", "a,b,c\r\n1,2,3\r\n", List.of(List.of("a", "b", "c"), List.of("1", "2", "3"))),
          Arguments.of("utf8", "a,b,c\n1,2,3\n4,5,ʤ\n",
              List.of(List.of("a", "b", "c"), List.of("1", "2", "3"), List.of("4", "5", "ʤ"))),
          Arguments.of("null", "a,b,c\n1,,2\n3,NULL,4\n5,\"\",6\n",
              List.of(List.of("a", "b", "c"), List.of("1", "", "2"), List.of("3", "NULL", "4"), List.of("5", "", "6"))),
          Arguments.of("location_coordinates", "Phone,Coordinates,City\n00123456789,12°3'4.5\"N 6°7'8.9\"W,Testville\n",
              List.of(List.of("Phone", "Coordinates", "City"),
                  List.of("00123456789", "12°3'4.5\"N 6°7'8.9\"W", "Testville"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void parsesLikeTheSpectrumSays(String name, String file, List<List<String>> expected) throws IOException {
      assertThat(read(file)).extracting(Rec::fields).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void parsesTheSameWhenTheBytesTrickleIn(String name, String file, List<List<String>> expected) throws IOException {
      byte[] bytes = file.getBytes(UTF_8);
      for (long seed = 0; seed < 20; seed++) {
        assertThat(readAll(trickle(bytes, seed), 4096, 1024)).extracting(Rec::fields).isEqualTo(expected);
      }
    }

    @Test
    void latin1IsRejectedAsNotUtf8() {
      byte[] latin1 = "a,b\n1,caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
      assertRejected(() -> read(latin1), ErrorCode.INVALID_ENCODING, 2L, "record 2 (line 2) is not valid UTF-8");
    }
  }

  /** RFC 4180 and the corners around it. */
  @Nested
  class Rfc4180 {
    @Test
    void aTrailingCommaIsOneMoreEmptyField() throws IOException {
      assertThat(read("a,b,\n1,2,")).containsExactly(Rec.of(1, "a", "b", ""), Rec.of(2, "1", "2", ""));
    }

    @Test
    void theLastRecordNeedsNoLineEnd() throws IOException {
      assertThat(read("a,b\n1,\"x\"")).containsExactly(Rec.of(1, "a", "b"), Rec.of(2, "1", "x"));
    }

    @Test
    void blankLinesAreSkippedAndDoNotCountAsRecords() throws IOException {
      assertThat(read("\n\r\na,b\n\n\r\r\n1,2\n\n")).containsExactly(Rec.of(1, "a", "b"), Rec.of(2, "1", "2"));
    }

    @Test
    void aLineOfOnlyAnEmptyQuotedFieldIsARecord() throws IOException {
      assertThat(read("a\n\"\"\nb\n")).containsExactly(Rec.of(1, "a"), Rec.of(2, ""), Rec.of(3, "b"));
    }

    @Test
    void spacesAreKeptAndAQuoteInsideAnUnquotedFieldIsText() throws IOException {
      assertThat(read(" a , \"b\" ,c\"d\n")).containsExactly(Rec.of(1, " a ", " \"b\" ", "c\"d"));
    }

    @Test
    void aUtf8ByteOrderMarkIsDropped() throws IOException {
      assertThat(read(concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, "a,b\n".getBytes(UTF_8))))
          .containsExactly(Rec.of(1, "a", "b"));
    }

    @Test
    void emptyInputHasNoRecords() throws IOException {
      assertThat(read("")).isEmpty();
      assertThat(read("\n\r\n")).isEmpty();
    }

    @Test
    void theSameFileGivesTheSameRecordsHoweverItIsChunked() throws IOException {
      byte[] file = concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
          "a,b\r\n\"é\r\n😀\",\"\"\"\"\r\r\n\n1,".getBytes(UTF_8));
      List<Rec> whole = read(file);

      for (long seed = 0; seed < 50; seed++) {
        assertThat(readAll(trickle(file, seed), 4096, 1024)).isEqualTo(whole);
      }
      assertThat(whole).containsExactly(Rec.of(1, "a", "b"), Rec.of(2, "é\r\n😀", "\""), Rec.of(3, "1", ""));
    }

    @Test
    void charactersOutsideTheBasicPlaneSurvive() throws IOException {
      assertThat(read("\"名前 😀\",Zoë\n")).containsExactly(Rec.of(1, "名前 😀", "Zoë"));
    }
  }

  /** The limits that keep memory flat: what is held back is measured, not kept. */
  @Nested
  class Limits {
    @Test
    void aFieldOfExactlyTheLimitIsKeptAndOneByteMoreIsOversize() throws IOException {
      List<Rec> recs = readAll(new ByteArrayInputStream("abcd,abcde,\"ab\"\"c\",\"ab\"\"cd\"\n".getBytes(UTF_8)), 4, 10);

      assertThat(recs).containsExactly(Rec.of(1, "abcd", "<5 bytes>", "ab\"c", "<5 bytes>"));
    }

    @Test
    void theLimitCountsUtf8BytesNotCharacters() throws IOException {
      // é is 2 bytes, 😀 is 4: "éé" is 4 bytes, "ééx" 5, "😀" 4, "x😀" 5
      List<Rec> recs = readAll(new ByteArrayInputStream("éé,ééx,😀,x😀\n".getBytes(UTF_8)), 4, 10);

      assertThat(recs).containsExactly(Rec.of(1, "éé", "<5 bytes>", "😀", "<5 bytes>"));
    }

    @Test
    void fieldsBeyondTheLimitAreCountedNotKept() throws IOException {
      List<Rec> recs = readAll(new ByteArrayInputStream("a,b,c,\"d,d\",e\n1,2\n".getBytes(UTF_8)), 100, 3);

      assertThat(recs).containsExactly(new Rec(1, 5, List.of("a", "b", "c")), Rec.of(2, "1", "2"));
    }

    @Test
    void aRecordWhoseOnlyFieldIsOversizeIsStillARecord() throws IOException {
      // nothing of the field reaches the parser: it must not take the line for a blank one
      List<Rec> recs = readAll(new ByteArrayInputStream("😀\nx\n".getBytes(UTF_8)), 1, 10);

      assertThat(recs).containsExactly(Rec.of(1, "<4 bytes>"), Rec.of(2, "x"));
    }

    @Test
    void aHundredMegabyteFieldIsMeasuredNotKept() throws IOException {
      long size = 100L << 20;
      InputStream file = new SequenceInputStream(new ByteArrayInputStream("a,".getBytes(UTF_8)),
          new SequenceInputStream(repeat((byte) 'x', size), new ByteArrayInputStream(",b\nc\n".getBytes(UTF_8))));

      assertThat(readAll(file, 4096, 1024)).containsExactly(Rec.of(1, "a", "<" + size + " bytes>", "b"), Rec.of(2, "c"));
    }

    @Test
    void twoMillionFieldsAreCounted() throws IOException {
      int fields = 2_000_000;
      InputStream file = new SequenceInputStream(repeat((byte) ',', fields - 1), new ByteArrayInputStream("\nok\n".getBytes(UTF_8)));

      List<Rec> recs = readAll(file, 4096, 1024);

      assertThat(recs).hasSize(2);
      assertThat(recs.get(0).fieldCount()).isEqualTo(fields);
      assertThat(recs.get(0).fields()).hasSize(1024).allMatch(String::isEmpty);
      assertThat(recs.get(1)).isEqualTo(Rec.of(2, "ok"));
    }

    @Test
    void aHundredThousandShortRecordsKeepTheirNumbersAndFieldCounts() throws IOException {
      // many records per parser buffer: the guard runs thousands of records ahead of the parser
      // and must hand each its own field count
      StringBuilder file = new StringBuilder();
      for (int i = 0; i < 100_000; i++) file.append("x").append(",".repeat(i % 7)).append('\n');

      List<Rec> recs = readAll(new ByteArrayInputStream(file.toString().getBytes(UTF_8)), 4096, 4);

      assertThat(recs).hasSize(100_000);
      for (int i = 0; i < recs.size(); i++) {
        assertThat(recs.get(i).number()).isEqualTo(i + 1);
        assertThat(recs.get(i).fieldCount()).as("record %d", i + 1).isEqualTo(i % 7 + 1);
      }
    }
  }

  /** Input that is not UTF-8 CSV is rejected with its record and line, after the records before it. */
  @Nested
  class Rejections {
    @Test
    void aNulByteNamesItsRecordAndLine() {
      assertRejected(() -> read("a,b\n\n1,2\n3,x\u0000y\n"), ErrorCode.INVALID_ENCODING, 3L,
          "record 3 (line 4) contains a NUL byte");
    }

    @Test
    void crlfCountsAsOneLineEnd() {
      assertRejected(() -> read("a,b\r\n\r\n1,2\r\n3,\u0000\r\n"), ErrorCode.INVALID_ENCODING, 3L, "record 3 (line 4)");
      assertRejected(() -> read("a,b\r\n\r\n1,\"x\"y\r\n"), ErrorCode.MALFORMED_CSV, 2L, "record 2 (line 3)");
    }

    @Test
    void invalidUtf8NamesItsRecordAndLine() {
      byte[] file = concat("a,b\n1,\"two\nlines\"\n3,".getBytes(UTF_8), new byte[] {(byte) 0xC3, (byte) 0x28}, "\n".getBytes(UTF_8));
      assertRejected(() -> read(file), ErrorCode.INVALID_ENCODING, 3L, "record 3 (line 4) is not valid UTF-8");
    }

    @Test
    void invalidUtf8AtTheStartOfALineStartsARecord() {
      byte[] file = concat("a,b\n".getBytes(UTF_8), new byte[] {(byte) 0xFF}, "\n".getBytes(UTF_8));
      assertRejected(() -> read(file), ErrorCode.INVALID_ENCODING, 2L, "record 2 (line 2)");
    }

    @Test
    void aUtf8SequenceCutOffByTheEndOfTheFileIsRejected() {
      byte[] file = concat("a,b\n1,".getBytes(UTF_8), new byte[] {(byte) 0xE2, (byte) 0x82});
      assertRejected(() -> read(file), ErrorCode.INVALID_ENCODING, 2L, "is not valid UTF-8");
    }

    @Test
    void invalidUtf8InAFieldTooLongToKeepIsStillRejected() {
      byte[] file = concat("a\n".getBytes(UTF_8), "x".repeat(5000).getBytes(UTF_8), new byte[] {(byte) 0xC3}, "\n".getBytes(UTF_8));
      assertRejected(() -> read(file), ErrorCode.INVALID_ENCODING, 2L, "is not valid UTF-8");
    }

    @Test
    void utf16IsRejectedWithAHint() {
      for (byte[] bom : List.of(new byte[] {(byte) 0xFF, (byte) 0xFE}, new byte[] {(byte) 0xFE, (byte) 0xFF})) {
        assertRejected(() -> read(concat(bom, "a,b".getBytes(java.nio.charset.StandardCharsets.UTF_16LE))),
            ErrorCode.INVALID_ENCODING, null, "UTF-16");
      }
    }

    @Test
    void anUnterminatedQuoteNamesTheRecordAndTheLineItOpensOn() {
      assertRejected(() -> read("a,b\n1,2\n3,\"four\nfive\nsix\n"), ErrorCode.MALFORMED_CSV, 3L,
          "record 3 (line 3) opens a quoted field that is never closed");
    }

    @Test
    void textAfterAClosingQuoteNamesTheLineItIsOn() {
      assertRejected(() -> read("a,b\n1,\"two\nthree\"x\n"), ErrorCode.MALFORMED_CSV, 2L,
          "record 2 (line 3) has text after a closing quote");
    }

    @Test
    void evenASpaceAfterAClosingQuoteIsRejected() {
      // commons-csv alone would accept it; the pipeline always refused it, and still does
      assertRejected(() -> read("a,b\n1,\"2\" \n"), ErrorCode.MALFORMED_CSV, 2L, "after a closing quote");
    }

    @Test
    void theRecordsBeforeAFaultAreReadFirst() throws IOException {
      // a lone CR makes the parser look one character ahead: the fault right after must not hide record 2
      CsvReader csv = new CsvReader(new ByteArrayInputStream("a\r1\r\"x".getBytes(UTF_8)), 4096, 1024);

      assertThat(csv.next()).isTrue();
      assertThat(csv.next()).isTrue();
      assertThat(csv.field(0)).isEqualTo("1");
      assertThatThrownBy(csv::next).isInstanceOf(FileRejectedException.class).hasMessageContaining("record 3");
    }

    @Test
    void theRecordAFaultIsInIsNeverReturned() throws IOException {
      // the input ends at the fault: what the parser has of record 2 ("1", "x") is not a record
      CsvReader csv = new CsvReader(new ByteArrayInputStream("a\n1,x\u0000y,z\n".getBytes(UTF_8)), 4096, 1024);

      assertThat(csv.next()).isTrue();
      assertThatThrownBy(csv::next).isInstanceOf(FileRejectedException.class).hasMessageContaining("record 2");
    }
  }

  /** What reaches commons-csv is bounded whatever the input: that is what keeps memory flat. */
  @Nested
  class Guard {
    /** Everything the guard passes to the parser for this input, as a count of characters. */
    long passedOn(InputStream in, int maxFieldBytes, int maxFields) throws IOException {
      CsvGuard guard = new CsvGuard(in, maxFieldBytes, maxFields);
      char[] buf = new char[8192];
      long total = 0;
      for (int n; (n = guard.read(buf, 0, buf.length)) > 0; ) total += n;
      return total;
    }

    @Test
    void anUnterminatedQuoteOverSixtyFourMegabytesPassesOnOneFieldsWorth() throws IOException {
      InputStream file = new SequenceInputStream(new ByteArrayInputStream("a\n\"".getBytes(UTF_8)), repeat((byte) 'x', 64L << 20));

      assertThat(passedOn(file, 4096, 1024)).isLessThanOrEqualTo(2 + 1 + 4096);
    }

    @Test
    void aQuotedFieldFullOfLineEndsAndDoubledQuotesPassesOnOneFieldsWorth() throws IOException {
      InputStream file = new SequenceInputStream(new ByteArrayInputStream("\"".getBytes(UTF_8)),
          new SequenceInputStream(repeat("\"\"\r\n,".getBytes(UTF_8), 16L << 20), new ByteArrayInputStream("\"\n".getBytes(UTF_8))));

      // a doubled quote is one byte of content passed on as two characters
      assertThat(passedOn(file, 4096, 1024)).isLessThanOrEqualTo(1 + 2 * 4096 + 1 + 1);
    }

    @Test
    void aRecordOfManyLongFieldsPassesOnAtMostTheKeptFields() throws IOException {
      byte[] field = ("y".repeat(10_000) + ",").getBytes(UTF_8);
      InputStream file = repeat(field, 5000L * field.length);

      assertThat(passedOn(file, 100, 10)).isLessThanOrEqualTo(10 * (100 + 1));
    }

    @Test
    void wellFormedInputPassesThroughUnchanged() throws IOException {
      String file = "a,\"b,\"\"c\"\"\"\r\n\n1,2\r3,\"x\ny\"\n";
      CsvGuard guard = new CsvGuard(new ByteArrayInputStream(file.getBytes(UTF_8)), 4096, 1024);
      StringBuilder passed = new StringBuilder();
      char[] buf = new char[3];
      for (int n; (n = guard.read(buf, 0, buf.length)) > 0; ) passed.append(buf, 0, n);

      assertThat(passed).hasToString(file);
    }
  }

  /**
   * Random tables written as RFC 4180 (every field quoted or not as it allows, mixed line ends,
   * blank lines, commas, quotes, line ends and characters from every plane inside fields) read
   * back exactly, whole or trickled in.
   */
  @Nested
  class RoundTrip {
    private static final String[] PLAIN = {"a", "Z", "0", " ", "é", "名", "😀", "\t", "x'y", "-"};
    private static final String[] QUOTABLE = {"a", ",", "\"", "\n", "\r\n", "\r", "é", "😀", " "};
    private static final String[] LINE_ENDS = {"\n", "\r\n", "\r"};

    @Test
    void randomTablesReadBackExactly() throws IOException {
      Random random = new Random(20261202);
      for (int table = 0; table < 400; table++) {
        List<List<String>> rows = new ArrayList<>();
        StringBuilder file = new StringBuilder();
        int count = 1 + random.nextInt(40);
        for (int r = 0; r < count; r++) {
          List<String> row = new ArrayList<>();
          int fields = 1 + random.nextInt(8);
          for (int f = 0; f < fields; f++) {
            if (f > 0) file.append(',');
            StringBuilder value = new StringBuilder();
            int length = random.nextInt(random.nextInt(10) == 0 ? 3000 : 12);
            boolean quoted = random.nextBoolean() || fields == 1 && length == 0;
            String[] alphabet = quoted ? QUOTABLE : PLAIN;
            for (int i = 0; i < length; i++) value.append(alphabet[random.nextInt(alphabet.length)]);
            row.add(value.toString());
            file.append(quoted ? '"' + value.toString().replace("\"", "\"\"") + '"' : value);
          }
          rows.add(row);
          if (r < count - 1 || random.nextBoolean()) file.append(LINE_ENDS[random.nextInt(3)]);
          if (r < count - 1 && random.nextInt(8) == 0) file.append(LINE_ENDS[random.nextInt(3)]).append('\n');
        }
        byte[] bytes = file.toString().getBytes(UTF_8);

        // a limit above the longest field: this is about structure, Limits is about limits
        assertThat(readAll(new ByteArrayInputStream(bytes), 1 << 16, 1024)).as("table %d", table)
            .extracting(Rec::fields).isEqualTo(rows);
        List<Rec> trickled = readAll(trickle(bytes, table), 1 << 16, 1024);
        assertThat(trickled).as("table %d trickled", table).extracting(Rec::fields).isEqualTo(rows);
        assertThat(trickled).as("table %d trickled", table)
            .extracting(Rec::number).containsExactlyElementsOf(numbers(rows.size()));
      }
    }

    private List<Long> numbers(int n) {
      List<Long> numbers = new ArrayList<>();
      for (long i = 1; i <= n; i++) numbers.add(i);
      return numbers;
    }
  }

  /** {@code size} bytes of {@code pattern} repeated, generated as read. */
  static InputStream repeat(byte b, long size) {
    return repeat(new byte[] {b}, size);
  }

  static InputStream repeat(byte[] pattern, long size) {
    return new InputStream() {
      long left = size;
      long position;

      @Override
      public int read() {
        if (left == 0) return -1;
        left--;
        return pattern[(int) (position++ % pattern.length)] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left == 0) return -1;
        int n = (int) Math.min(len, left);
        for (int i = 0; i < n; i++) b[off + i] = pattern[(int) (position++ % pattern.length)];
        left -= n;
        return n;
      }
    };
  }
}
