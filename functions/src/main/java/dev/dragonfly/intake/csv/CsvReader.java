package dev.dragonfly.intake.csv;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import org.apache.commons.csv.CSVException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads a UTF-8 RFC 4180 file record by record: commons-csv parses, {@link CsvGuard} in front of
 * it keeps memory flat on hostile input and rejects what is not UTF-8 CSV with its record and
 * line (see there).
 *
 * <p>Accepts a UTF-8 BOM, LF, CRLF or CR record ends, and quoted fields holding commas, quotes
 * and newlines. Blank lines are skipped. A field longer than {@code maxFieldBytes} bytes of UTF-8
 * is not kept, only measured ({@link #isOversize}); fields beyond {@code maxFields} are only
 * counted ({@link #fieldCount}).
 */
public final class CsvReader {
  public static final int DEFAULT_MAX_FIELD_BYTES = 4096;
  public static final int DEFAULT_MAX_FIELDS = 1024;

  /** RFC 4180 (comma, double quote, no escape character, no comments), skipping blank lines. */
  private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get();

  private final CsvGuard guard;
  private final Iterator<CSVRecord> records;
  private final int maxFields;
  private final long[] oversizeBytes;
  private boolean anyOversize;
  private CSVRecord record;
  private int fieldCount;

  public CsvReader(InputStream in) throws IOException {
    this(in, DEFAULT_MAX_FIELD_BYTES, DEFAULT_MAX_FIELDS);
  }

  public CsvReader(InputStream in, int maxFieldBytes, int maxFields) throws IOException {
    if (maxFieldBytes < 1) throw new IllegalArgumentException("maxFieldBytes < 1: " + maxFieldBytes);
    if (maxFields < 1) throw new IllegalArgumentException("maxFields < 1: " + maxFields);
    this.guard = new CsvGuard(in, maxFieldBytes, maxFields);
    this.records = FORMAT.parse(guard).iterator();
    this.maxFields = maxFields;
    this.oversizeBytes = new long[maxFields];
    Arrays.fill(oversizeBytes, -1);
  }

  /**
   * Advances to the next non-blank record.
   *
   * @return false at the end of input
   * @throws dev.dragonfly.intake.FileRejectedException for input that is not UTF-8 CSV
   */
  public boolean next() throws IOException {
    try {
      record = records.hasNext() ? records.next() : null;
    } catch (UncheckedIOException e) {
      guard.throwIfRejected(); // the input ended at a fault, maybe inside a quoted field
      if (e.getCause() instanceof CSVException c) {
        // the guard passes on only well-formed CSV, so this is a defect, not the file's fault
        throw new IllegalStateException("the CSV parser refused what its guard let through", c);
      }
      throw e.getCause();
    }
    if (record == null) {
      guard.throwIfRejected();
      return false;
    }
    long number = record.getRecordNumber();
    if (!guard.isFinished(number)) {
      guard.throwIfRejected(); // the record the fault is in
      throw new IllegalStateException("the CSV parser returned record " + number + " before its guard saw it end");
    }
    fieldCount = guard.fieldCount(number);
    if (anyOversize) Arrays.fill(oversizeBytes, -1);
    anyOversize = guard.take(number, oversizeBytes);
    if (record.size() != keptFieldCount()) {
      throw new IllegalStateException("the CSV parser and its guard disagree about the fields of record " + number);
    }
    return true;
  }

  /** 1-based number of the record last returned by {@link #next()}; the header is record 1. */
  public long recordNumber() {
    return record.getRecordNumber();
  }

  /** Number of fields in the current record, including any beyond {@code maxFields}. */
  public int fieldCount() {
    return fieldCount;
  }

  /** Fields kept for this record: {@code min(fieldCount(), maxFields)}. */
  public int keptFieldCount() {
    return Math.min(fieldCount, maxFields);
  }

  /** The field's text, or null when it was longer than {@code maxFieldBytes}. */
  public String field(int index) {
    return oversizeBytes[index] >= 0 ? null : record.get(index);
  }

  /** True when the field was too long to keep; {@link #fieldLength(int)} still tells its size. */
  public boolean isOversize(int index) {
    return oversizeBytes[index] >= 0;
  }

  /** Length of the field in bytes of UTF-8, as it was in the file. */
  public long fieldLength(int index) {
    return isOversize(index) ? oversizeBytes[index] : record.get(index).getBytes(StandardCharsets.UTF_8).length;
  }

  /** A copy of the kept fields of the current record (for headers, not the hot path). */
  public String[] fields() {
    String[] fields = new String[keptFieldCount()];
    for (int i = 0; i < fields.length; i++) fields[i] = field(i);
    return fields;
  }
}
