package dev.dragonfly.sentinel.heal;

import dev.dragonfly.functions.GzipInput;
import dev.dragonfly.functions.ObjectGone;
import dev.dragonfly.intake.Batch;
import dev.dragonfly.intake.IngestOptions;
import dev.dragonfly.intake.IntakePipeline;
import dev.dragonfly.intake.IntakeResult;
import dev.dragonfly.intake.ObjectOpener;
import dev.dragonfly.intake.ObjectRef;
import dev.dragonfly.intake.RowError;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The local path, with no events topic: runs the pipeline on the batch's object in this
 * process, as {@code batch reingest} does, on one background thread so that a long file never
 * holds up a pass. The object is a local file (a batch loaded by {@code sentinel ingest}) or,
 * when a bucket is configured, the S3 object version the batch names; an object deleted or
 * replaced since fails the batch once with {@code OBJECT_NOT_FOUND}, as the ingest function
 * does ({@link ObjectGone}). Results and outcome
 * events are the function's work and are not written here: the batch row holds the outcome.
 */
public final class LocalRedriver implements Redriver, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalRedriver.class);

  private final IntakePipeline pipeline;
  private final Optional<S3Client> s3;
  private final Optional<String> bucket;
  private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "sentinel-redrive");
    t.setDaemon(true);
    return t;
  });
  private final AtomicReference<Future<?>> last = new AtomicReference<>();
  private final java.util.Set<Long> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public LocalRedriver(IntakePipeline pipeline, Optional<S3Client> s3, Optional<String> bucket) {
    this.pipeline = pipeline;
    this.s3 = s3;
    this.bucket = bucket;
  }

  @Override public String describe() {
    return "in process";
  }

  @Override public Optional<String> cannotRedrive(Batch batch) {
    if (localFile(batch).isPresent()) return Optional.empty();
    if (batch.objectKey().startsWith("/")) {
      return Optional.of("its file " + batch.objectKey() + " is not on this machine");
    }
    if (s3.isEmpty() || bucket.isEmpty()) {
      return Optional.of("its object is in S3 and no bucket is configured (set INTAKE_BUCKET, or EVENTS_TOPIC_ARN to re-drive through the ingest function)");
    }
    return Optional.empty();
  }

  @Override public void redrive(Batch batch) {
    ObjectRef ref = new ObjectRef(batch.source(), batch.objectKey(), batch.objectVersion());
    ObjectOpener opener = opener(batch);
    inFlight.add(batch.id());
    last.set(runner.submit(() -> {
      try {
        IntakeResult result;
        // as the ingest function does: a version no longer current (deleted, replaced) is not loaded
        Optional<RowError> notCurrent = localFile(batch).isPresent() ? Optional.empty()
            : ObjectGone.notCurrent(s3.orElseThrow(), bucket.orElseThrow(), batch.objectKey(), batch.objectVersion());
        try {
          result = notCurrent.isPresent() ? pipeline.rejectUnread(ref, notCurrent.get(), false)
              : pipeline.retryingTransientFailures(() -> pipeline.ingest(ref, opener, IngestOptions.DEFAULT));
        } catch (RuntimeException e) {
          if (localFile(batch).isPresent() || !ObjectGone.causedBy(e)) throw e;
          // as the ingest function records it: failed once, OBJECT_NOT_FOUND, not re-driven until force-failed
          result = pipeline.rejectUnread(ref, ObjectGone.error(), false);
        }
        log.info("re-drive of batch {} in process: {}", batch.id(), result.oneLine());
      } catch (RuntimeException e) {
        // the batch was given back or its heartbeat goes stale: the next pass sees it again
        log.warn("re-drive of batch {} in process failed: {}", batch.id(), e.getMessage());
      } finally {
        inFlight.remove(batch.id());
      }
    }));
  }

  @Override public boolean inFlight(long batchId) {
    return inFlight.contains(batchId);
  }

  private ObjectOpener opener(Batch batch) {
    Optional<Path> file = localFile(batch);
    boolean gzipped = batch.objectKey().endsWith(".gz");
    if (file.isPresent()) {
      return () -> wrap(new BufferedInputStream(Files.newInputStream(file.get()), 1 << 16), gzipped);
    }
    String version = batch.objectVersion();
    return () -> wrap(s3.orElseThrow().getObject(b -> {
      b.bucket(bucket.orElseThrow()).key(batch.objectKey());
      if (version.startsWith("version:")) b.versionId(version.substring("version:".length()));
      else if (version.startsWith("etag:") && version.length() > 5) b.ifMatch("\"" + version.substring(5) + "\"");
    }), gzipped);
  }

  private static InputStream wrap(InputStream in, boolean gzipped) {
    return gzipped ? new GzipInput(in) : in;
  }

  private static Optional<Path> localFile(Batch batch) {
    if (!batch.objectKey().startsWith("/")) return Optional.empty();
    Path p = Path.of(batch.objectKey());
    return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
  }

  /** Waits for the re-drives queued so far to finish (tests, and a one-shot pass before it exits). */
  public void awaitQueued(Duration limit) {
    Future<?> f = last.get();
    if (f == null) return;
    try {
      f.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn("re-drives still running after {}; their batches are picked up again if they stop", limit);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException e) {
      log.warn("re-drive ended unexpectedly: {}", e.getCause().toString());
    }
  }

  @Override public void close() {
    runner.shutdown();
  }
}
