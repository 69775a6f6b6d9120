package dev.dragonfly.functions;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.intake.IntakeResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * The ingest function: S3 ObjectCreated events (direct, through SNS or SQS) and the sentinel's
 * re-drive messages, each handed to {@link IntakeService}. A thin adapter: the AWS clients are
 * built once per container, the database pool on the first invocation (after any SnapStart
 * restore), and every record of an event is tried before the first failure is rethrown, so
 * Lambda retries the event and the claim turns the records already done into duplicates.
 * A run still going {@link #DEADLINE_MARGIN} before the function's timeout gives its batch back
 * and fails, so Lambda's retry takes the batch over at once instead of finding it held by a
 * killed invocation.
 */
public final class IntakeHandler implements RequestStreamHandler {
  private static final Logger log = LoggerFactory.getLogger(IntakeHandler.class);
  /** Time kept back from the function's timeout: the last chunk, the release, the failure report. */
  static final Duration DEADLINE_MARGIN = Duration.ofSeconds(60);

  private final EventParser parser = new EventParser();
  private final Supplier<IntakeService> service;

  /** The Lambda runtime's constructor: configuration from the environment. */
  public IntakeHandler() {
    this(FunctionConfig.fromEnv(System.getenv()), AwsClients.s3(), AwsClients.sns());
  }

  IntakeHandler(FunctionConfig config, S3Client s3, SnsClient sns) {
    this(memoize(() -> {
      Database database = Database.pooled(AwsClients.databaseUrl(config));
      database.migrateIfBehind();
      return new IntakeService(new IntakePipeline(database, config.intake(), Clock.systemUTC()), database, s3,
          config.bucket(), new ResultsWriter(s3, config.bucket(), database),
          new EventPublisher(sns, config.eventsTopicArn()),
          new BatchMetrics(config.metricsNamespace(), System.out, Clock.systemUTC()));
    }));
  }

  IntakeHandler(Supplier<IntakeService> service) {
    this.service = service;
  }

  @Override public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
    String requestId = context == null ? "local" : context.getAwsRequestId();
    try (var request = MDC.putCloseable("request_id", requestId)) {
      List<Work> work;
      try {
        work = parser.parse(new String(input.readAllBytes(), StandardCharsets.UTF_8));
      } catch (EventParser.UnreadableEvent e) {
        // retrying cannot fix it: say so loudly and drop it (an object it named is found again by the sentinel)
        log.error("dropped an event that is not an S3, SNS, SQS or re-drive event: {}", e.getMessage());
        output.write("{\"outcomes\":[],\"dropped\":true}".getBytes(StandardCharsets.UTF_8));
        return;
      }
      Instant deadline = deadline(context);
      List<String> outcomes = new ArrayList<>();
      RuntimeException firstFailure = null;
      for (Work w : work) {
        try {
          outcomes.add(run(w, deadline));
        } catch (RuntimeException e) {
          log.error("a record failed and the event will be retried: {}", e.toString());
          if (firstFailure == null) firstFailure = e;
          else firstFailure.addSuppressed(e);
        }
      }
      if (firstFailure != null) throw firstFailure;
      output.write(("{\"outcomes\":[" + String.join(",", outcomes) + "]}").getBytes(StandardCharsets.UTF_8));
    }
  }

  /** When this invocation must give its batch back: its remaining time less the margin. */
  private static Instant deadline(Context context) {
    if (context == null) return Instant.MAX; // a local invocation has no timeout
    return Instant.now().plusMillis(context.getRemainingTimeInMillis()).minus(DEADLINE_MARGIN);
  }

  private String run(Work w, Instant deadline) {
    var result = w instanceof Work.Redrive r
        ? service.get().redrive(r.batchId(), deadline)
        : service.get().handle(((Work.ObjectCreated) w).event(), deadline);
    return "\"" + result.map(IntakeResult::status).orElse("skipped") + "\"";
  }

  private static <T> Supplier<T> memoize(Supplier<T> create) {
    return new Supplier<>() {
      private T value;

      @Override public synchronized T get() {
        if (value == null) value = create.get();
        return value;
      }
    };
  }
}
