package dev.dragonfly.functions;

import dev.dragonfly.intake.Batch;
import dev.dragonfly.intake.BatchStore;
import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.ErrorCode;
import dev.dragonfly.intake.IngestOptions;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.intake.IntakeResult;
import dev.dragonfly.intake.ObjectOpener;
import dev.dragonfly.intake.ObjectRef;
import dev.dragonfly.intake.RowError;
import dev.dragonfly.intake.SourceProfile;
import dev.dragonfly.intake.UnknownSourceException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * What the ingest function does with one object or one re-drive, without Lambda types: check
 * the key, check the size, stream the object through the pipeline, write the results next to
 * each other in S3, publish the outcome, emit metrics. Data problems end as results; failures
 * of S3, SNS or the database propagate so that Lambda retries, and the claim makes the retry
 * safe. Transient database failures are first retried here, each try reading the object anew.
 *
 * <p>Each decided batch's outcome is delivered through its outbox on the batch row: results,
 * then the one outcome event with its metrics, each part marked once done. A retry after a
 * failure past the commit (S3 or SNS down, the function killed) delivers the missing parts of
 * the original outcome; a redelivery of an object already delivered sends nothing.
 */
public final class IntakeService {
  private static final Logger log = LoggerFactory.getLogger(IntakeService.class);

  private final IntakePipeline pipeline;
  private final Database database;
  private final S3Client s3;
  private final String bucket;
  private final ResultsWriter results;
  private final EventPublisher events;
  private final BatchMetrics metrics;
  private final BatchStore batches;

  public IntakeService(IntakePipeline pipeline, Database database, S3Client s3, String bucket, ResultsWriter results,
                       EventPublisher events, BatchMetrics metrics) {
    this.pipeline = pipeline;
    this.database = database;
    this.s3 = s3;
    this.bucket = bucket;
    this.results = results;
    this.events = events;
    this.metrics = metrics;
    this.batches = new BatchStore(database.jdbi());
  }

  /** Handles one ObjectCreated notification; returns what became of it. */
  public Optional<IntakeResult> handle(S3ObjectEvent event) {
    return handle(event, IngestOptions.DEFAULT);
  }

  /**
   * Handles one ObjectCreated notification, giving its batch back when {@code deadline} passes
   * (the function's own timeout is near); returns what became of it.
   */
  public Optional<IntakeResult> handle(S3ObjectEvent event, Instant deadline) {
    return handle(event, IngestOptions.DEFAULT.withDeadline(deadline));
  }

  private Optional<IntakeResult> handle(S3ObjectEvent event, IngestOptions options) {
    if (!event.bucket().equals(bucket)) {
      // a notification or subscription wired to the wrong function: retrying cannot fix it
      refuse(event, ErrorCode.WRONG_BUCKET, "the event is for bucket '" + printable(event.bucket())
          + "', but this function ingests bucket '" + bucket + "' (INTAKE_BUCKET); nothing was read; point that"
          + " bucket's notifications at its own intake function, or correct INTAKE_BUCKET");
      return Optional.empty();
    }
    IntakeKey key;
    SourceProfile profile;
    try {
      key = IntakeKey.parse(event.key());
      profile = pipeline.profile(key.source());
    } catch (IntakeKey.Refused e) {
      refuse(event, e.code(), e.getMessage());
      return Optional.empty();
    } catch (UnknownSourceException e) {
      refuse(event, ErrorCode.UNKNOWN_SOURCE, e.getMessage());
      return Optional.empty();
    }
    ObjectRef ref = new ObjectRef(key.source(), event.key(), event.version());
    try (var source = MDC.putCloseable("source", key.source())) {
      IngestOptions run = options.withDryRun(key.dryRun());
      IntakeResult result = pipeline.retryingTransientFailures(() -> ingest(ref, key, profile, event, run));
      MDC.put("batch_id", Long.toString(result.batchId()));
      report(key, ref, result);
      return Optional.of(result);
    } finally {
      MDC.remove("batch_id");
    }
  }

  /**
   * Runs a batch again from its object: for a batch the sentinel released (status
   * {@code uploaded}) or one whose worker went silent. A batch that already ended is not run
   * again; what its outcome still lacks (results, event) is delivered.
   */
  public Optional<IntakeResult> redrive(long batchId) {
    return redrive(batchId, IngestOptions.DEFAULT);
  }

  public Optional<IntakeResult> redrive(long batchId, Instant deadline) {
    return redrive(batchId, IngestOptions.DEFAULT.withDeadline(deadline));
  }

  private Optional<IntakeResult> redrive(long batchId, IngestOptions options) {
    Optional<Batch> found = new BatchStore(database.jdbi()).find(batchId);
    if (found.isEmpty()) {
      log.warn("redrive of batch {} ignored: no such batch", batchId);
      return Optional.empty();
    }
    Batch batch = found.get();
    if (!batch.status().equals("uploaded") && !BatchStore.isProcessing(batch.status())) {
      if (batch.dryRun() || batch.status().equals("rolled_back")
          || (batch.resultsWrittenAt() != null && batch.eventPublishedAt() != null)) {
        log.info("redrive of batch {} ignored: it is already {}", batchId, batch.status());
        return Optional.empty();
      }
      IntakeKey key;
      try {
        key = IntakeKey.parse(batch.objectKey());
      } catch (IntakeKey.Refused e) {
        log.info("redrive of batch {} ignored: it is {} and its key is not an intake key", batchId, batch.status());
        return Optional.empty();
      }
      log.info("redrive of batch {}: it is already {}; delivering what its outcome lacks", batchId, batch.status());
      IntakeResult result = pipeline.resultOf(batchId);
      deliver(key, batch.objectKey(), result);
      return Optional.of(result);
    }
    String version = batch.objectVersion();
    S3ObjectEvent event = new S3ObjectEvent(bucket, batch.objectKey(), -1,
        version.startsWith("etag:") ? version.substring(5) : null,
        version.startsWith("version:") ? version.substring(8) : null);
    log.info("redriving batch {} from its object", batchId);
    return handle(event, options);
  }

  private IntakeResult ingest(ObjectRef ref, IntakeKey key, SourceProfile profile, S3ObjectEvent event,
                              IngestOptions options) {
    HeadObjectResponse head;
    try {
      head = s3.headObject(HeadObjectRequest.builder().bucket(event.bucket()).key(event.key())
          .applyMutation(versioned(event, HeadObjectRequest.Builder::versionId, HeadObjectRequest.Builder::ifMatch))
          .build());
    } catch (S3Exception e) {
      if (!ObjectGone.is(e)) throw e;
      return pipeline.rejectUnread(ref, ObjectGone.error(), options.dryRun());
    }
    Optional<RowError> notCurrent = notCurrent(event);
    if (notCurrent.isPresent()) return pipeline.rejectUnread(ref, notCurrent.get(), options.dryRun());
    if (head.contentLength() > profile.maxFileBytes()) {
      return pipeline.rejectUnread(ref, new RowError(null, null, ErrorCode.FILE_TOO_LARGE, "the object is "
          + head.contentLength() + " bytes, over the " + profile.maxFileBytes()
          + "-byte limit of its source profile; split it into smaller files"), options.dryRun());
    }
    ObjectOpener opener = () -> {
      ResponseInputStream<GetObjectResponse> object = s3.getObject(GetObjectRequest.builder()
          .bucket(event.bucket()).key(event.key())
          .applyMutation(versioned(event, GetObjectRequest.Builder::versionId, GetObjectRequest.Builder::ifMatch))
          .build());
      InputStream body = new ObjectStream(object); // closing it never waits on a stalled read
      return key.gzipped() ? new GzipInput(body) : body;
    };
    try {
      return pipeline.ingest(ref, opener, options); // opened only once claimed
    } catch (RuntimeException e) {
      if (!(e.getCause() instanceof S3Exception s3e && ObjectGone.is(s3e))) throw e;
      // gone between the check and the read: the claim was given back; record the verdict
      return pipeline.rejectUnread(ref, ObjectGone.error(), options.dryRun());
    }
  }

  /** Asks S3 for exactly the version the event announced: by version id, else by ETag. */
  private static <B> Consumer<B> versioned(S3ObjectEvent event, BiFunction<B, String, B> byVersion,
                                           BiFunction<B, String, B> byEtag) {
    String version = event.version();
    if (version.startsWith("version:")) return b -> byVersion.apply(b, version.substring(8));
    if (version.length() > 5) return b -> byEtag.apply(b, "\"" + version.substring(5) + "\"");
    return b -> { };
  }

  /** In a versioned bucket, a version that is no longer the key's current one is not loaded (see ObjectGone). */
  private Optional<RowError> notCurrent(S3ObjectEvent event) {
    return ObjectGone.notCurrent(s3, event.bucket(), event.key(), event.version());
  }


  private void report(IntakeKey key, ObjectRef ref, IntakeResult result) {
    if (result.status().equals(IntakeResult.IN_PROGRESS)) {
      // Not the end of the object: the holder's own invocation finishes it, or, if that worker
      // died, its heartbeat goes stale and the holder's retry or the sentinel takes it over.
      log.info("batch {} is being loaded by another worker", result.batchId());
    } else if (result.sameObject() && !result.dryRun()) {
      // A redelivered event of an object already decided: its outcome is that of the batch holding
      // the object (duplicate_of names the batch holding its rows, which a content duplicate is not).
      // Deliver what a failure after the commit left undelivered; when nothing is missing, send nothing.
      long holder = batches.holderOf(ref).map(Batch::id).orElse(result.duplicateOf());
      IntakeResult original = pipeline.resultOf(holder);
      if (!original.status().equals("rolled_back")) deliver(key, ref.key(), original); // an operator undid it since
    } else {
      deliver(key, ref.key(), result);
    }
  }

  /**
   * Delivers the parts of a decided batch's outcome not yet marked on its row: the results,
   * then the event with its metrics. The row is locked while a part is sent, so concurrent
   * redeliveries send each part once; a crash between sending and marking (a narrow window)
   * sends that part again on the retry, never a different outcome.
   */
  private void deliver(IntakeKey key, String objectKey, IntakeResult result) {
    long id = result.batchId();
    database.jdbi().useTransaction(h -> {
      if (batches.lockOutbox(h, id).resultsWritten()) return;
      results.write(key, objectKey, result);
      batches.markResultsWritten(h, id);
    });
    database.jdbi().useTransaction(h -> {
      if (batches.lockOutbox(h, id).eventPublished()) return;
      events.publish(eventType(result), result);
      if (!result.status().equals(IntakeResult.DUPLICATE)) metrics.emit(result);
      batches.markEventPublished(h, id);
    });
  }

  private static String eventType(IntakeResult result) {
    return switch (result.status()) {
      case IntakeResult.COMPLETED -> EventPublisher.COMPLETED;
      case IntakeResult.DUPLICATE -> EventPublisher.DUPLICATE;
      default -> result.errorsByCode().containsKey(ErrorCode.OBJECT_NOT_FOUND.name())
          || result.errorsByCode().containsKey(ErrorCode.OBJECT_SUPERSEDED.name())
          ? EventPublisher.FAILED : EventPublisher.REJECTED;
    };
  }

  private void refuse(S3ObjectEvent event, ErrorCode code, String reason) {
    log.warn("refused an object without reading it: {}: {}", code, reason);
    database.jdbi().useHandle(h -> h.createUpdate("""
            INSERT INTO intake.refused_objects (bucket, object_key, code, reason)
            VALUES (:bucket, :key, :code, :reason)""")
        .bind("bucket", printable(event.bucket())).bind("key", printable(event.key())).bind("code", code.name())
        .bind("reason", reason)
        .execute());
  }

  /**
   * The text as it can be stored and shown: control characters (U+0000 to U+001F and U+007F)
   * percent-encoded as in the event ({@code %00}), since PostgreSQL refuses a NUL in text and
   * a terminal would act on the others; everything else, {@code %} included, unchanged.
   */
  static String printable(String text) {
    if (text.chars().noneMatch(IntakeService::isControl)) return text;
    StringBuilder out = new StringBuilder(text.length() + 8);
    text.chars().forEach(c -> {
      if (isControl(c)) out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
          .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      else out.append((char) c);
    });
    return out.toString();
  }

  private static boolean isControl(int c) {
    return c < 0x20 || c == 0x7F;
  }
}
