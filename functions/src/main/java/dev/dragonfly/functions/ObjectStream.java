package dev.dragonfly.functions;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An S3 object's body whose {@link #close} never waits on a read blocked in another thread. The
 * pipeline closes its input from the loading thread (at the deadline, after a failure) while its
 * reader thread may be blocked in a read of a stalled stream; the JDK's HTTP stream makes such a
 * close wait for that read, and the SDK's abort does the same on this HTTP client. So a close
 * during a read is left to a daemon thread: the read ends at the client's socket read timeout
 * ({@link AwsClients#S3_READ_TIMEOUT}), the connection is closed then, and the batch has been
 * given back long before.
 */
final class ObjectStream extends FilterInputStream {
  private static final Logger log = LoggerFactory.getLogger(ObjectStream.class);
  private final AtomicInteger reading = new AtomicInteger();

  ObjectStream(InputStream body) {
    super(body);
  }

  @Override public int read() throws IOException {
    reading.incrementAndGet();
    try {
      return super.read();
    } finally {
      reading.decrementAndGet();
    }
  }

  @Override public int read(byte[] b, int off, int len) throws IOException {
    reading.incrementAndGet();
    try {
      return super.read(b, off, len);
    } finally {
      reading.decrementAndGet();
    }
  }

  @Override public long skip(long n) throws IOException {
    reading.incrementAndGet();
    try {
      return super.skip(n);
    } finally {
      reading.decrementAndGet();
    }
  }

  @Override public void close() throws IOException {
    if (reading.get() == 0) {
      super.close();
      return;
    }
    Thread closer = new Thread(() -> {
      try {
        super.close();
      } catch (IOException e) {
        log.debug("closing an abandoned S3 stream: {}", e.toString());
      }
    }, "s3-stream-close");
    closer.setDaemon(true);
    closer.start();
  }
}
