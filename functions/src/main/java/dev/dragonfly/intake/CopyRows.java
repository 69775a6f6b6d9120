package dev.dragonfly.intake;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Rows encoded in PostgreSQL's COPY text format, sent with one {@code COPY … FROM STDIN}.
 * Bulk loading goes through COPY, never row-at-a-time INSERTs.
 *
 * <p>The bytes live in 128 KiB segments rather than one growing array: a chunk's megabytes in
 * one array would be a "humongous" object to G1, allocated straight into the old generation
 * and reclaimed only by concurrent marking, which costs CPU the database needs.
 */
public final class CopyRows {
  static final int SEGMENT_BYTES = 128 * 1024;

  private final List<byte[]> fullSegments = new ArrayList<>();
  private final List<Integer> fullLengths = new ArrayList<>();
  private byte[] bytes = new byte[SEGMENT_BYTES];
  private int length;
  private boolean lineStart = true;

  @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int) is the Latin-1 bulk copy we want
  public CopyRows value(String s) {
    separate();
    if (s == null) {
      ensure(2);
      bytes[length++] = '\\';
      bytes[length++] = 'N';
      return this;
    }
    int n = s.length();
    ensure(n * 3); // worst case: every char non-ASCII (3 UTF-8 bytes) or escaped (2)
    if (isPlainAscii(s, n)) {
      // the common case: a bulk copy of the string's Latin-1 bytes
      s.getBytes(0, n, bytes, length);
      length += n;
      return this;
    }
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        switch (c) {
          case '\\' -> { bytes[length++] = '\\'; bytes[length++] = '\\'; }
          case '\t' -> { bytes[length++] = '\\'; bytes[length++] = 't'; }
          case '\n' -> { bytes[length++] = '\\'; bytes[length++] = 'n'; }
          case '\r' -> { bytes[length++] = '\\'; bytes[length++] = 'r'; }
          default -> bytes[length++] = (byte) c;
        }
      } else {
        int end = Character.isHighSurrogate(c) && i + 1 < n ? i + 2 : i + 1;
        byte[] utf8 = s.substring(i, end).getBytes(StandardCharsets.UTF_8);
        System.arraycopy(utf8, 0, bytes, length, utf8.length);
        length += utf8.length;
        i = end - 1;
      }
    }
    return this;
  }

  /** No byte of it needs escaping or UTF-8 encoding. */
  private static boolean isPlainAscii(String s, int n) {
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == '\\' || c > 0x7e) return false;
    }
    return true;
  }

  public CopyRows value(long n) {
    return value(Long.toString(n));
  }

  public CopyRows endRow() {
    ensure(1);
    bytes[length++] = '\n';
    lineStart = true;
    return this;
  }

  public void clear() {
    fullSegments.clear();
    fullLengths.clear();
    length = 0;
    lineStart = true;
  }

  /** Sends the rows with {@code copySql} ({@code COPY t (…) FROM STDIN}); returns rows written. */
  public long copyInto(Connection connection, String copySql) throws SQLException {
    return copyInto(connection, copySql, () -> { });
  }

  /**
   * As {@link #copyInto(Connection, String)}, calling {@code midway} once half of the last
   * segment's bytes (a cut anywhere, mid-row too) has reached the server: tests freeze a worker
   * there, in the middle of the statement.
   */
  public long copyInto(Connection connection, String copySql, Runnable midway) throws SQLException {
    CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
    try {
      for (int i = 0; i < fullSegments.size(); i++) copy.writeToCopy(fullSegments.get(i), 0, fullLengths.get(i));
      int half = length / 2;
      copy.writeToCopy(bytes, 0, half);
      copy.flushCopy();
      midway.run();
      copy.writeToCopy(bytes, half, length - half);
      return copy.endCopy();
    } finally {
      if (copy.isActive()) copy.cancelCopy();
    }
  }

  private void separate() {
    if (!lineStart) {
      ensure(1);
      bytes[length++] = '\t';
    }
    lineStart = false;
  }

  /** Room for {@code more} contiguous bytes: a value never spans two segments. */
  private void ensure(int more) {
    if (length + more <= bytes.length) return;
    fullSegments.add(bytes);
    fullLengths.add(length);
    bytes = new byte[Math.max(SEGMENT_BYTES, more)];
    length = 0;
  }
}
