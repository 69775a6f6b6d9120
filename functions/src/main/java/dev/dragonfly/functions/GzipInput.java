package dev.dragonfly.functions;

import dev.dragonfly.intake.ErrorCode;
import dev.dragonfly.intake.FileRejectedException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * A gzip stream whose corruption is the file's fault, not the system's: a broken or truncated
 * .csv.gz rejects the file instead of failing the run (which Lambda would retry forever). The
 * header is read on first use, inside the pipeline, so even a file that is not gzip at all is
 * judged like any other bad file. The decompressed size is capped by the pipeline's file-size
 * limit, so a gzip bomb stops early.
 */
public final class GzipInput extends InputStream {
  private final InputStream compressed;
  private GZIPInputStream gzip;

  public GzipInput(InputStream compressed) {
    this.compressed = compressed;
  }

  @Override public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override public int read(byte[] b, int off, int len) throws IOException {
    try {
      if (gzip == null) gzip = new GZIPInputStream(compressed, 1 << 16);
      return gzip.read(b, off, len);
    } catch (ZipException | EOFException e) {
      throw new FileRejectedException(ErrorCode.MALFORMED_CSV, null,
          "the .gz file is not valid gzip or is truncated; compress it again with gzip");
    }
  }

  @Override public void close() throws IOException {
    compressed.close();
  }
}
