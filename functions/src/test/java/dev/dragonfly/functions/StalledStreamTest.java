package dev.dragonfly.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.IntakeConfig;
import dev.dragonfly.intake.IntakeFailedException;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.intake.Target;
import dev.dragonfly.intake.TestDatabase;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An S3 stream that stalls mid-body (a local HTTP server that sends the headers and part of the
 * object, then nothing) does not hold the batch past the function's deadline: the batch is given
 * back within a fraction of a second of it, and the stalled connection is dropped under the reader.
 */
class StalledStreamTest {
  private static final String BUCKET = IntakeHandlerTest.BUCKET;
  private static final String KEY = "incoming/judgments/stalled.csv";
  private static final S3ObjectEvent EVENT = new S3ObjectEvent(BUCKET, KEY, -1, "0123456789abcdef0123456789abcdef", null);

  private final Database db = TestDatabase.fresh();
  private final Target target = new Target(db);
  private final CountDownLatch released = new CountDownLatch(1);
  private HttpServer server;
  private SnsFake sns;

  @BeforeEach
  void start() throws Exception {
    byte[] part = IntakeHandlerTest.rows(50).getBytes(StandardCharsets.UTF_8);
    long length = part.length * 100L; // announces far more than it sends
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      exchange.getResponseHeaders().set("ETag", "\"0123456789abcdef0123456789abcdef\"");
      if (exchange.getRequestMethod().equals("HEAD")) {
        exchange.getResponseHeaders().set("Content-Length", Long.toString(length));
        exchange.sendResponseHeaders(200, -1);
        exchange.close();
        return;
      }
      exchange.sendResponseHeaders(200, length);
      OutputStream body = exchange.getResponseBody();
      body.write(part);
      body.flush();
      try {
        released.await(); // stalls until the test ends
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.close();
    });
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.start();
    sns = new SnsFake();
  }

  @AfterEach
  void stop() {
    released.countDown();
    server.stop(0);
    sns.close();
  }

  @Test
  void stalledReadGivesTheBatchBackAtTheDeadline_andTheReadEndsAtTheSocketReadTimeout() throws Exception {
    IntakeService service = service(Duration.ofSeconds(3));
    Instant deadline = Instant.now().plusSeconds(1);

    assertThatThrownBy(() -> service.handle(EVENT, deadline)).isInstanceOf(IntakeFailedException.class)
        .hasMessage("batch 1 ran out of time (deadline " + deadline + ") and was given back for a retry");

    Duration late = Duration.between(deadline, Instant.now());
    assertThat(late).as("given back %s after the deadline", late).isLessThan(Duration.ofMillis(1000));
    assertThat(target.batch(1).status()).isEqualTo("uploaded");
    assertThat(target.batch(1).lastError()).startsWith("batch 1 ran out of time");
    assertThat(target.judgments()).isZero();
    Thread reader = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("intake-reader-1")).findFirst().orElse(null);
    if (reader != null) { // still blocked in its read: the 3 s read timeout ends it, and the stream is closed
      reader.join(TimeUnit.SECONDS.toMillis(6));
      assertThat(reader.isAlive()).as("reader still blocked in its read").isFalse();
    }
  }

  @Test
  void stalledReadWithoutADeadlineFailsAtTheSocketReadTimeout_andTheBatchIsGivenBack() {
    IntakeService service = service(Duration.ofSeconds(1));
    Instant start = Instant.now();

    assertThatThrownBy(() -> service.handle(EVENT)).isInstanceOf(IntakeFailedException.class)
        .hasMessageStartingWith("batch 1 could not be loaded: ");

    assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(4));
    assertThat(target.batch(1).status()).isEqualTo("uploaded");
    assertThat(target.batch(1).lastError()).containsIgnoringCase("timed out");
  }

  /** The function's service on the function's S3 client (AwsClients), pointed at the stalling server. */
  private IntakeService service(Duration readTimeout) {
    S3Client s3 = AwsClients.s3(S3Client.builder()
        .endpointOverride(URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
        .region(Region.US_EAST_1)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("local-access-key",
            "local-secret-key")))
        .forcePathStyle(true), readTimeout);
    return new IntakeService(new IntakePipeline(db, IntakeConfig.defaults().withTransientRetries(0), Clock.systemUTC()),
        db, s3, BUCKET, new ResultsWriter(s3, BUCKET, db), new EventPublisher(LocalS3.sns(sns), IntakeHandlerTest.TOPIC),
        new BatchMetrics("DragonflyIntake", new PrintStream(OutputStream.nullOutputStream()), Clock.systemUTC()));
  }
}
