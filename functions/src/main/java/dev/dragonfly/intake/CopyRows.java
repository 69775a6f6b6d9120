package dev.dragonfly.intake;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Arrays;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Rows encoded in PostgreSQL's COPY text format, sent with one {@code COPY … FROM STDIN}.
 * Bulk loading goes through COPY, never row-at-a-time INSERTs.
 */
public final class CopyRows {
  private byte[] bytes = new byte[1 << 16];
  private int length;
  private boolean lineStart = true;
  private int rows;

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
    rows++;
    return this;
  }

  public int rows() {
    return rows;
  }

  public boolean isEmpty() {
    return rows == 0;
  }

  public void clear() {
    length = 0;
    rows = 0;
    lineStart = true;
  }

  /** Sends the rows with {@code copySql} ({@code COPY t (…) FROM STDIN}); returns rows written. */
  public long copyInto(Connection connection, String copySql) throws SQLException {
    CopyIn copy = connection.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
    try {
      copy.writeToCopy(bytes, 0, length);
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

  private void ensure(int more) {
    if (length + more > bytes.length) bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
  }
}
