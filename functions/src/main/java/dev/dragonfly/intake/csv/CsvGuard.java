package dev.dragonfly.intake.csv;

import static dev.dragonfly.intake.ErrorCode.INVALID_ENCODING;
import static dev.dragonfly.intake.ErrorCode.MALFORMED_CSV;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.dragonfly.intake.ErrorCode;
import dev.dragonfly.intake.FileRejectedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.util.Arrays;

/**
 * The reader commons-csv parses: it decodes the file's UTF-8 and stands between hostile input
 * and the parser.
 *
 * <p>commons-csv keeps a whole field, and a whole record, in memory: an unterminated quote would
 * make it buffer the rest of the file. So this reader follows the RFC 4180 structure itself
 * (quotes, commas, line ends) as it passes the characters on, and passes at most {@code
 * maxFieldBytes} of one field's content and at most {@code maxFields} fields of one record. What
 * it holds back it only measures: the UTF-8 length of each oversize field and the true number
 * of fields, which {@link CsvReader} reports. Memory stays flat whatever the input.
 *
 * <p>Because it knows the record and line it is in, it is also the one that rejects what is not
 * UTF-8 CSV (invalid UTF-8, a NUL, a UTF-16 byte order mark, an unterminated quote, text after a
 * closing quote) with the exact place. It passes on everything before the fault and then ends,
 * so the records before the fault are still parsed in order and commons-csv never sees the
 * malformed part; {@link CsvReader} then throws the rejection ({@link #throwIfRejected}). A
 * UTF-8 byte order mark is dropped.
 *
 * <p>Record numbers and lines are counted as the parser sees them: blank lines are skipped and
 * are not records; LF, CR and CRLF end a line; inside quotes only LF counts as a new line.
 */
final class CsvGuard extends Reader {
  private static final int LINE_START = 0;
  private static final int FIELD_START = 1;
  private static final int UNQUOTED = 2;
  private static final int QUOTED = 3;
  /** A quote inside a quoted field: closing, or the first of a doubled quote. Passed on once known. */
  private static final int QUOTE_IN_QUOTED = 4;
  private static final int ENDED = 5;

  /** ASCII characters with no meaning to the CSV structure, inside quotes or out. */
  private static final boolean[] PLAIN = new boolean[0x80];

  static {
    Arrays.fill(PLAIN, true);
    for (char c : new char[] {',', '"', '\r', '\n', 0}) PLAIN[c] = false;
  }

  private final InputStream in;
  private final int maxFieldBytes;
  private final int maxFields;
  private final CharsetDecoder utf8 = UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private final ByteBuffer bytes = ByteBuffer.allocate(1 << 16).flip();
  private final CharBuffer chars = CharBuffer.allocate(1 << 16).flip();
  private boolean inputEnded;
  private boolean started;
  private boolean malformedAhead;
  private FileRejectedException failure;

  private int state = LINE_START;
  private boolean swallowLf;
  private long line = 1;
  private long recordNumber;
  private long recordStartLine;
  private int fieldIndex;
  private long fieldBytes;
  /** Whether this record has passed on any character yet: one that passed none would read as a blank line. */
  private boolean recordVisible;

  private char[] out;
  private int outPos;
  private int outEnd;
  private final char[] overflow = new char[4];
  private int overflowLength;

  /** Finished records not yet taken by the parser's side, a ring indexed by record number. */
  private int[] fieldCounts = new int[1024];
  private long firstUntaken = 1;
  private long finished;

  /** Oversize kept fields of finished records not yet taken: (record, field, bytes) triples. */
  private long[] oversize = new long[3 * 16];
  private int oversizeHead;
  private int oversizeTail;

  CsvGuard(InputStream in, int maxFieldBytes, int maxFields) {
    this.in = in;
    this.maxFieldBytes = maxFieldBytes;
    this.maxFields = maxFields;
  }

  @Override
  public int read(char[] cbuf, int off, int len) throws IOException {
    if (len == 0) return 0;
    out = cbuf;
    outPos = off;
    outEnd = off + len;
    if (overflowLength > 0) { // what the last call had no room for
      int n = Math.min(len, overflowLength);
      System.arraycopy(overflow, 0, cbuf, off, n);
      System.arraycopy(overflow, n, overflow, 0, overflowLength - n);
      overflowLength -= n;
      outPos += n;
    }
    while (outPos < outEnd && failure == null && state != ENDED) {
      if (!chars.hasRemaining() && !decodeMore()) {
        if (failure == null) endOfInput();
        break;
      }
      char[] a = chars.array();
      int i = chars.position();
      int limit = chars.limit();
      while (i < limit && outPos < outEnd && failure == null) {
        i = (state == UNQUOTED || state == QUOTED) && !swallowLf ? passPlainRun(a, i, limit) : i;
        if (i < limit && outPos < outEnd) process(a[i++]);
      }
      chars.position(i);
    }
    int n = outPos - off;
    out = null;
    return n > 0 ? n : -1;
  }

  /**
   * Throws the reason the input was cut short, if it was. At a fault this reader ends its output
   * there: the parser returns the records before it, and the one it was in, unfinished, which
   * {@link #isFinished} tells apart.
   */
  void throwIfRejected() {
    if (failure != null) throw failure;
  }

  /** Whether the guard saw this record end; the parser can return an unfinished one at a fault. */
  boolean isFinished(long record) {
    return record <= finished;
  }

  /** Called by the parser's side once per record, in order: its true number of fields, including any beyond {@code maxFields}. */
  int fieldCount(long record) {
    return fieldCounts[slot(record)];
  }

  /**
   * Hands the oversize fields of {@code record} to {@code lengths} (UTF-8 bytes by field index,
   * others untouched) and forgets this record and any before it; true if it had any.
   */
  boolean take(long record, long[] lengths) {
    boolean any = false;
    while (oversizeHead != oversizeTail && oversize[oversizeHead] <= record) {
      if (oversize[oversizeHead] == record) {
        lengths[(int) oversize[oversizeHead + 1]] = oversize[oversizeHead + 2];
        any = true;
      }
      oversizeHead = (oversizeHead + 3) % oversize.length;
    }
    firstUntaken = Math.max(firstUntaken, record + 1);
    return any;
  }

  private int slot(long record) {
    if (record < firstUntaken || record > finished) {
      throw new IllegalStateException("the CSV parser and its guard disagree about record " + record);
    }
    return (int) (record % fieldCounts.length);
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  // ---- the structure, one character at a time ----

  private void process(char c) {
    if (swallowLf) {
      swallowLf = false;
      if (c == '\n') {
        emit(c);
        return;
      }
    }
    switch (state) {
      case LINE_START:
        if (c == '\n' || c == '\r') { // a blank line: no record
          line++;
          swallowLf = c == '\r';
          emit(c);
          return;
        }
        startRecord();
        // the character starts the first field
      case FIELD_START:
        if (c == '"') {
          state = QUOTED;
          if (keeping()) emit(c);
          return;
        }
        state = UNQUOTED;
        // the character is the field's first
      case UNQUOTED:
        if (c == ',') {
          nextField();
        } else if (c == '\n' || c == '\r') {
          endRecord(c);
        } else {
          content(c);
        }
        return;
      case QUOTED:
        if (c == '"') {
          state = QUOTE_IN_QUOTED;
          return;
        }
        if (c == '\n') line++;
        content(c);
        return;
      case QUOTE_IN_QUOTED:
        if (c == '"') { // a doubled quote: one quote of content
          state = QUOTED;
          fieldBytes++;
          if (keepingContent()) {
            emit('"');
            emit('"');
          }
          return;
        }
        if (keeping()) emit('"');
        if (c == ',') {
          nextField();
        } else if (c == '\n' || c == '\r') {
          endRecord(c);
        } else {
          fail(MALFORMED_CSV, "record " + recordNumber + " (line " + line + ") has text after a closing quote;"
              + " a quote inside a quoted field must be doubled (\"\")");
        }
        return;
      default:
        throw new IllegalStateException("read after the end");
    }
  }

  /**
   * The fast path inside a field: passes on the run of plain ASCII characters (none of comma,
   * quote, CR, LF, NUL) starting at {@code from} in bulk; returns where the run ends.
   */
  private int passPlainRun(char[] a, int from, int limit) {
    int end = Math.min(limit, from + (outEnd - outPos));
    int i = from;
    while (i < end) {
      char c = a[i];
      if (c >= 0x80 || !PLAIN[c]) break;
      i++;
    }
    int n = i - from;
    if (n == 0) return from;
    long kept = keeping() ? Math.max(0, Math.min(n, maxFieldBytes - fieldBytes)) : 0;
    fieldBytes += n;
    if (kept > 0) {
      System.arraycopy(a, from, out, outPos, (int) kept);
      outPos += (int) kept;
      recordVisible = true;
    }
    return i;
  }

  private void content(char c) {
    if (c == 0) {
      fail(INVALID_ENCODING, "record " + recordNumber + " (line " + line + ") contains a NUL byte;"
          + " the file must be UTF-8 text");
      return;
    }
    // UTF-8 length: each half of a surrogate pair counts 2 of its 4 bytes
    fieldBytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
    if (keepingContent()) emit(c);
  }

  private boolean keeping() {
    return fieldIndex < maxFields;
  }

  private boolean keepingContent() {
    return fieldIndex < maxFields && fieldBytes <= maxFieldBytes;
  }

  private void startRecord() {
    recordNumber++;
    recordStartLine = line;
    recordVisible = false;
    fieldIndex = 0;
    fieldBytes = 0;
  }

  private void endField() {
    if (fieldIndex < maxFields && fieldBytes > maxFieldBytes) {
      if ((oversizeTail + 3) % oversize.length == oversizeHead) growOversize();
      oversize[oversizeTail] = recordNumber;
      oversize[oversizeTail + 1] = fieldIndex;
      oversize[oversizeTail + 2] = fieldBytes;
      oversizeTail = (oversizeTail + 3) % oversize.length;
    }
    if (fieldIndex < Integer.MAX_VALUE) fieldIndex++;
    fieldBytes = 0;
  }

  private void nextField() {
    endField();
    state = FIELD_START;
    if (keeping()) emit(',');
  }

  private void endRecord(char lineEnd) {
    endField();
    keepVisible();
    line++;
    swallowLf = lineEnd == '\r';
    emit(lineEnd);
    finishRecord();
    state = LINE_START;
  }

  /** A record whose only field was held back whole passes on as one empty quoted field. */
  private void keepVisible() {
    if (!recordVisible) {
      emit('"');
      emit('"');
    }
  }

  private void finishRecord() {
    if (recordNumber - firstUntaken >= fieldCounts.length) growRing();
    fieldCounts[(int) (recordNumber % fieldCounts.length)] = fieldIndex;
    finished = recordNumber;
  }

  private void endOfInput() {
    switch (state) {
      case QUOTED:
        fail(MALFORMED_CSV, "record " + recordNumber + " (line " + recordStartLine + ") opens a quoted field that"
            + " is never closed; close the quote or double any quote inside the field (\"\")");
        return;
      case QUOTE_IN_QUOTED:
        if (keeping()) emit('"');
        // the closing quote ends the last field
      case FIELD_START:
      case UNQUOTED:
        endField();
        keepVisible();
        finishRecord();
        break;
      default:
        break;
    }
    state = ENDED;
  }

  private void fail(ErrorCode code, String message) {
    failure = new FileRejectedException(code, recordNumber, message);
  }

  private void emit(char c) {
    recordVisible = true;
    if (outPos < outEnd) {
      out[outPos++] = c;
    } else {
      overflow[overflowLength++] = c;
    }
  }

  private void growRing() {
    int n = fieldCounts.length;
    int[] counts = new int[n * 2];
    for (long r = firstUntaken; r < recordNumber; r++) counts[(int) (r % (n * 2))] = fieldCounts[(int) (r % n)];
    fieldCounts = counts;
  }

  private void growOversize() {
    long[] bigger = new long[oversize.length * 2];
    int n = 0;
    for (int i = oversizeHead; i != oversizeTail; i = (i + 3) % oversize.length) {
      System.arraycopy(oversize, i, bigger, n, 3);
      n += 3;
    }
    oversize = bigger;
    oversizeHead = 0;
    oversizeTail = n;
  }

  // ---- bytes to characters ----

  /** Decodes more characters into {@link #chars}; false at the end of input or at a fault. */
  private boolean decodeMore() throws IOException {
    if (malformedAhead) {
      notUtf8();
      return false;
    }
    if (!started) {
      started = true;
      if (!checkByteOrderMark()) return false;
    }
    chars.clear();
    try {
      while (true) {
        CoderResult result = utf8.decode(bytes, chars, inputEnded);
        if (result.isError()) {
          malformedAhead = true; // the characters before the fault are passed on first
          break;
        }
        if (result.isOverflow() || chars.position() > 0) break;
        if (inputEnded) {
          utf8.flush(chars);
          break;
        }
        readBytes();
      }
    } finally {
      chars.flip();
    }
    if (chars.hasRemaining()) return true;
    if (malformedAhead) notUtf8();
    return false;
  }

  private void notUtf8() {
    if (state == LINE_START) startRecord(); // the bad bytes start a record
    fail(INVALID_ENCODING, "record " + recordNumber + " (line " + line + ") is not valid UTF-8;"
        + " save the file as UTF-8");
  }

  /** Drops a UTF-8 byte order mark and rejects a UTF-16 one; false when the file was rejected. */
  private boolean checkByteOrderMark() throws IOException {
    while (bytes.remaining() < 3 && !inputEnded) readBytes();
    int b0 = bytes.remaining() > 0 ? bytes.get(0) & 0xff : -1;
    int b1 = bytes.remaining() > 1 ? bytes.get(1) & 0xff : -1;
    int b2 = bytes.remaining() > 2 ? bytes.get(2) & 0xff : -1;
    if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) {
      bytes.position(3);
    } else if (b0 == 0xFF && b1 == 0xFE || b0 == 0xFE && b1 == 0xFF) {
      failure = new FileRejectedException(INVALID_ENCODING, null,
          "the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8");
      return false;
    }
    return true;
  }

  private void readBytes() throws IOException {
    bytes.compact();
    try {
      int n;
      do {
        n = in.read(bytes.array(), bytes.position(), bytes.remaining());
      } while (n == 0);
      if (n < 0) {
        inputEnded = true;
      } else {
        bytes.position(bytes.position() + n);
      }
    } finally {
      bytes.flip();
    }
  }
}
