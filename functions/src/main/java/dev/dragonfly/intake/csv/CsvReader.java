package dev.dragonfly.intake.csv;

import static dev.dragonfly.intake.ErrorCode.INVALID_ENCODING;
import static dev.dragonfly.intake.ErrorCode.MALFORMED_CSV;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.dragonfly.intake.FileRejectedException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.util.Arrays;

/**
 * A streaming RFC 4180 reader over UTF-8 bytes with bounded memory whatever the input.
 *
 * <p>Hand-written rather than commons-csv because hostile input must not be able to grow
 * memory: a field keeps at most {@code maxFieldBytes} bytes (longer ones are only measured and
 * reported as oversize) and a record keeps at most {@code maxFields} fields (more are only
 * counted). It also reports exact record and line numbers for every rejection, and works on
 * bytes so that ASCII fields never pass through a charset decoder.
 *
 * <p>Accepts a UTF-8 BOM, LF, CRLF or CR record ends, and quoted fields holding commas, quotes
 * and newlines. Blank lines are skipped. Invalid UTF-8, a NUL byte, an unterminated quote, or
 * text after a closing quote reject the file through {@link FileRejectedException}.
 */
public final class CsvReader {
  public static final int DEFAULT_MAX_FIELD_BYTES = 4096;
  public static final int DEFAULT_MAX_FIELDS = 1024;

  private static final int QUOTE = '"';
  private static final int COMMA = ',';
  private static final int LF = '\n';
  private static final int CR = '\r';

  private final InputStream in;
  private final int maxFieldBytes;
  private final int maxFields;
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int limit;
  private boolean started;

  private byte[] field = new byte[256];
  private int fieldLength;
  private long fieldTrueLength;
  private boolean fieldNonAscii;

  private final String[] values;
  private final boolean[] oversize;
  private final long[] trueLengths;
  private int fieldCount;
  private long recordNumber;
  private long line = 1;
  private long recordStartLine;
  private final CharsetDecoder utf8 = UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);

  public CsvReader(InputStream in) {
    this(in, DEFAULT_MAX_FIELD_BYTES, DEFAULT_MAX_FIELDS);
  }

  public CsvReader(InputStream in, int maxFieldBytes, int maxFields) {
    if (maxFieldBytes < 1) throw new IllegalArgumentException("maxFieldBytes < 1: " + maxFieldBytes);
    if (maxFields < 1) throw new IllegalArgumentException("maxFields < 1: " + maxFields);
    this.in = in;
    this.maxFieldBytes = maxFieldBytes;
    this.maxFields = maxFields;
    this.values = new String[maxFields];
    this.oversize = new boolean[maxFields];
    this.trueLengths = new long[maxFields];
  }

  /** 1-based number of the record last returned by {@link #next()}; the header is record 1. */
  public long recordNumber() {
    return recordNumber;
  }

  /** Line on which the record last returned starts (differs from the record number after quoted newlines). */
  public long recordStartLine() {
    return recordStartLine;
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
    return values[index];
  }

  /** True when the field was too long to keep; {@link #fieldLength(int)} still tells its size. */
  public boolean isOversize(int index) {
    return oversize[index];
  }

  /** Length of the field in bytes as it was in the file. */
  public long fieldLength(int index) {
    return trueLengths[index];
  }

  /** A copy of the kept fields of the current record (for headers, not the hot path). */
  public String[] fields() {
    return Arrays.copyOf(values, keptFieldCount());
  }

  /**
   * Advances to the next non-blank record.
   *
   * @return false at the end of input
   * @throws FileRejectedException for input that is not UTF-8 CSV
   */
  public boolean next() throws IOException {
    if (!started) {
      started = true;
      skipByteOrderMark();
    }
    while (true) {
      int b = read();
      if (b < 0) return false;
      if (b == LF || b == CR) { // blank line
        if (b == CR && peek() == LF) pos++;
        line++;
        continue;
      }
      recordNumber++;
      recordStartLine = line;
      fieldCount = 0;
      readRecord(b);
      return true;
    }
  }

  private void readRecord(int first) throws IOException {
    int b = first;
    while (true) {
      startField();
      if (b == QUOTE) {
        b = readQuotedField();
      } else if (b != COMMA && b != LF && b != CR) {
        append(b);
        b = readUnquotedRest();
      }
      endField();
      if (b == COMMA) {
        b = read();
        if (b < 0 || b == LF || b == CR) { // trailing comma: one more, empty field
          startField();
          endField();
          finishLine(b);
          return;
        }
        continue;
      }
      finishLine(b);
      return;
    }
  }

  /**
   * Reads the rest of an unquoted field by scanning the buffer in bulk; returns the byte that
   * ends it (comma, CR, LF) or -1 at the end of input.
   */
  private int readUnquotedRest() throws IOException {
    while (true) {
      int start = pos;
      int p = pos;
      boolean nonAscii = false;
      while (p < limit) {
        byte c = buf[p];
        if (c == COMMA || c == LF || c == CR || c == 0) break;
        if (c < 0) nonAscii = true;
        p++;
      }
      appendRange(start, p, nonAscii);
      pos = p;
      if (p < limit) {
        int b = buf[pos++] & 0xff;
        if (b == 0) append(0); // rejects the file
        return b;
      }
      if (!fill()) return -1;
    }
  }

  private void appendRange(int from, int to, boolean nonAscii) {
    int n = to - from;
    if (n == 0) return;
    fieldTrueLength += n;
    if (nonAscii) fieldNonAscii = true;
    int room = maxFieldBytes - fieldLength;
    int kept = Math.min(n, room);
    if (kept > 0) {
      if (fieldLength + kept > field.length) {
        field = Arrays.copyOf(field, Math.min(Math.max(field.length * 2, fieldLength + kept), maxFieldBytes));
      }
      System.arraycopy(buf, from, field, fieldLength, kept);
      fieldLength += kept;
    }
  }

  /** Reads a quoted field after its opening quote; returns the byte that follows the closing quote. */
  private int readQuotedField() throws IOException {
    while (true) {
      int b = read();
      if (b < 0) {
        throw new FileRejectedException(MALFORMED_CSV, recordNumber,
            "record " + recordNumber + " (line " + recordStartLine + ") opens a quoted field that is never closed;"
                + " close the quote or double any quote inside the field (\"\")");
      }
      if (b == QUOTE) {
        int next = read();
        if (next == QUOTE) {
          append(QUOTE);
          continue;
        }
        if (next >= 0 && next != COMMA && next != LF && next != CR) {
          throw new FileRejectedException(MALFORMED_CSV, recordNumber,
              "record " + recordNumber + " (line " + line + ") has text after a closing quote;"
                  + " a quote inside a quoted field must be doubled (\"\")");
        }
        return next;
      }
      if (b == LF) line++;
      append(b);
    }
  }

  private void finishLine(int b) throws IOException {
    if (b == CR && peek() == LF) pos++;
    if (b >= 0) line++;
  }

  private void startField() {
    fieldLength = 0;
    fieldTrueLength = 0;
    fieldNonAscii = false;
  }

  private void append(int b) {
    if (b == 0) {
      throw new FileRejectedException(INVALID_ENCODING, recordNumber,
          "record " + recordNumber + " (line " + line + ") contains a NUL byte; the file must be UTF-8 text");
    }
    fieldTrueLength++;
    if (b >= 0x80) fieldNonAscii = true;
    if (fieldLength < maxFieldBytes) {
      if (fieldLength == field.length) field = Arrays.copyOf(field, Math.min(field.length * 2, maxFieldBytes));
      field[fieldLength++] = (byte) b;
    }
  }

  private void endField() {
    if (fieldCount < maxFields) {
      boolean tooLong = fieldTrueLength > maxFieldBytes;
      oversize[fieldCount] = tooLong;
      trueLengths[fieldCount] = fieldTrueLength;
      values[fieldCount] = tooLong ? null : decodeField();
    }
    fieldCount++;
  }

  private String decodeField() {
    if (!fieldNonAscii) return new String(field, 0, fieldLength, ISO_8859_1);
    try {
      return utf8.reset().decode(ByteBuffer.wrap(field, 0, fieldLength)).toString();
    } catch (CharacterCodingException e) {
      throw new FileRejectedException(INVALID_ENCODING, recordNumber,
          "record " + recordNumber + " (line " + line + ") is not valid UTF-8; save the file as UTF-8");
    }
  }

  private void skipByteOrderMark() throws IOException {
    if (!ensure(3)) ensure(2);
    int available = limit - pos;
    if (available >= 3 && (buf[pos] & 0xff) == 0xEF && (buf[pos + 1] & 0xff) == 0xBB && (buf[pos + 2] & 0xff) == 0xBF) {
      pos += 3;
    } else if (available >= 2 && ((buf[pos] & 0xff) == 0xFF && (buf[pos + 1] & 0xff) == 0xFE
        || (buf[pos] & 0xff) == 0xFE && (buf[pos + 1] & 0xff) == 0xFF)) {
      throw new FileRejectedException(INVALID_ENCODING, null,
          "the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8");
    }
  }

  /** Tries to have at least n bytes buffered; false if the input ends first. */
  private boolean ensure(int n) throws IOException {
    while (limit - pos < n) {
      if (pos > 0) {
        System.arraycopy(buf, pos, buf, 0, limit - pos);
        limit -= pos;
        pos = 0;
      }
      int read = in.read(buf, limit, buf.length - limit);
      if (read < 0) return false;
      limit += read;
    }
    return true;
  }

  private int read() throws IOException {
    if (pos == limit && !fill()) return -1;
    return buf[pos++] & 0xff;
  }

  private int peek() throws IOException {
    if (pos == limit && !fill()) return -1;
    return buf[pos] & 0xff;
  }

  private boolean fill() throws IOException {
    int read;
    do {
      read = in.read(buf, 0, buf.length);
    } while (read == 0);
    if (read < 0) return false;
    pos = 0;
    limit = read;
    return true;
  }
}
