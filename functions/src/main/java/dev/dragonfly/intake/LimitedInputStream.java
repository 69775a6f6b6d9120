package dev.dragonfly.intake;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts bytes read and rejects the file with FILE_TOO_LARGE once it passes the limit. */
final class LimitedInputStream extends FilterInputStream {
  private final long limit;
  private long count;

  LimitedInputStream(InputStream in, long limit) {
    super(in);
    this.limit = limit;
  }

  long count() {
    return count;
  }

  @Override public int read() throws IOException {
    int b = super.read();
    if (b >= 0) counted(1);
    return b;
  }

  @Override public int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    if (n > 0) counted(n);
    return n;
  }

  private void counted(int n) {
    count += n;
    if (count > limit) {
      throw new FileRejectedException(ErrorCode.FILE_TOO_LARGE, null,
          "the file is larger than the " + limit + "-byte limit of its source profile; split it into smaller files");
    }
  }
}
