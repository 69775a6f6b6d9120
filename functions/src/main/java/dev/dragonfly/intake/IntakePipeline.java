package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.math.BigDecimal;
import java.time.Clock;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The intake: claim an object exactly once, stream and validate it, load its valid rows and
 * report the rest. Knows CSV, validation and the database; nothing of S3 or Lambda, so the CLI
 * and the tests feed it files.
 */
public final class IntakePipeline {
  private static final Logger log = LoggerFactory.getLogger(IntakePipeline.class);

  private final Database database;
  private final IntakeConfig config;
  private final Clock clock;
  private final IntakeHooks hooks;
  private final HeartbeatTimer timer;
  private final BatchStore batches;
  private final SourceProfiles profiles;
  /**
   * This process's claims that a failed attempt could not give back (the database was gone):
   * their heartbeat may still look fresh, and the retry must take them over as its own rather
   * than wait for them as another worker's.
   */
  private final Map<ObjectRef, UUID> unreleased = new ConcurrentHashMap<>();

  /**
   * @param clock the business clock: "today" for dates not in the future, a function's
   *     deadline. Leases use the database's clock, never this one.
   */
  public IntakePipeline(Database database, IntakeConfig config, Clock clock) {
    this(database, config, clock, IntakeHooks.NONE, HeartbeatTimer.THREAD, DatabaseClock.DATABASE);
  }

  /** As above, with the leases' clock shifted by {@code leaseClock} (tests that move time). */
  public IntakePipeline(Database database, IntakeConfig config, Clock clock, DatabaseClock leaseClock) {
    this(database, config, clock, IntakeHooks.NONE, HeartbeatTimer.THREAD, leaseClock);
  }

  IntakePipeline(Database database, IntakeConfig config, Clock clock, IntakeHooks hooks) {
    this(database, config, clock, hooks, HeartbeatTimer.THREAD, DatabaseClock.DATABASE);
  }

  IntakePipeline(Database database, IntakeConfig config, Clock clock, IntakeHooks hooks, HeartbeatTimer timer) {
    this(database, config, clock, hooks, timer, DatabaseClock.DATABASE);
  }

  IntakePipeline(Database database, IntakeConfig config, Clock clock, IntakeHooks hooks, HeartbeatTimer timer,
                 DatabaseClock leaseClock) {
    this.database = requireNonNull(database, "database == null");
    this.config = requireNonNull(config, "config == null");
    this.clock = requireNonNull(clock, "clock == null");
    this.hooks = requireNonNull(hooks, "hooks == null");
    this.timer = requireNonNull(timer, "timer == null");
    this.batches = new BatchStore(database.jdbi(), requireNonNull(leaseClock, "leaseClock == null"));
    this.profiles = new SourceProfiles(database.jdbi());
  }

  /**
   * Records an object the pipeline will not read (too large by its size, gone before it could
   * be read) as a failed batch with the reason, claimed like any other so that redeliveries
   * of the same object are duplicates. Under a dry run it is a failed dry run: a preview of the
   * verdict, never a real batch.
   */
  public IntakeResult rejectUnread(ObjectRef ref, RowError reason, boolean dryRun) {
    SourceProfile profile = profiles.require(ref.source());
    try (Handle control = database.jdbi().open()) {
      Claim claim = dryRun
          ? batches.startDryRun(control, ref, profile.errorThresholdPercent())
          : batches.claim(control, ref, profile.errorThresholdPercent(), config.staleAfter());
      if (claim instanceof Claim.Duplicate d) {
        return IntakeResult.duplicate(d.batchId(), ref, dryRun, d.originalId(), d.originalStatus(), null, 0);
      }
      if (claim instanceof Claim.InProgress p) return IntakeResult.inProgress(p.batchId(), ref);
      Claim.Claimed c = (Claim.Claimed) claim;
      String text = reason.code() + ": " + reason.message();
      RowErrors.append(control, c.batchId(), c.attempt(), List.of(reason));
      OutcomeDetails.record(control, c, List.of(), 0);
      if (!batches.reject(control, c, text, BatchCounts.NONE, null, 0)) throw new ClaimLostException(c.batchId(), c.attempt());
      log.info("batch {} source={} rejected unread: {}", c.batchId(), ref.source(), reason.code());
      return new IntakeResult(c.batchId(), ref.source(), ref.key(), IntakeResult.FAILED, dryRun, c.attempt(), 0, 0, 0,
          0, 0, 0, Map.of(reason.code().name(), 1L), text, null, null, null, 0, List.of(), 0);
    }
  }

  /** The recorded outcome of a batch, as the summary of a run that just ended would give it. */
  public IntakeResult resultOf(long batchId) {
    Batch b = batches.require(batchId);
    Map<String, Long> byCode = new TreeMap<>();
    database.jdbi().useHandle(h -> h.createQuery("""
            SELECT e.code, count(*) AS n FROM intake.row_errors e
            JOIN intake.batches b ON b.id = e.batch_id AND b.attempt = e.attempt
            WHERE e.batch_id = :id GROUP BY e.code""")
        .bind("id", batchId)
        .map((rs, ctx) -> Map.entry(rs.getString("code"), rs.getLong("n")))
        .forEach(e -> byCode.put(e.getKey(), e.getValue())));
    OutcomeDetails.Details details = database.jdbi().withHandle(h -> OutcomeDetails.find(h, batchId));
    long millis = details.durationMillis().orElseGet(() -> b.startedAt() == null || b.finishedAt() == null ? 0
        : Duration.between(b.startedAt(), b.finishedAt()).toMillis()); // decided before V10
    return new IntakeResult(b.id(), b.source(), b.objectKey(), b.status(), b.dryRun(), b.attempt(), zero(b.rowsTotal()),
        zero(b.rowsValid()), zero(b.rowsInvalid()), zero(b.rowsInserted()), zero(b.rowsUpdated()),
        zero(b.rowsUnchanged()), byCode, b.rejectionReason(), b.duplicateOf(),
        b.duplicateOf() == null ? null : batches.require(b.duplicateOf()).status(), b.contentSha256(),
        zero(b.bytesRead()), details.ignoredColumns(), millis);
  }

  private static long zero(Long n) {
    return n == null ? 0 : n;
  }

  /**
   * Runs {@code work} (typically: open the input, then {@link #ingest}) again after a transient
   * database failure, up to {@link IntakeConfig#transientRetries()} more times with backoff.
   * Each try is a new attempt of the batch, so {@code work} must read its input anew.
   */
  public <T> T retryingTransientFailures(java.util.function.Supplier<T> work) {
    return TransientFailures.retry(config.transientRetries(), work);
  }

  /** The source profile, or {@link UnknownSourceException}. */
  public SourceProfile profile(String source) {
    return profiles.require(source);
  }

  /**
   * Ingests one object. Data problems come back as a result (status {@code failed} with a
   * reason, row errors in {@code intake.row_errors}); exceptions mean the work could not be done
   * and may be retried: the claim makes a retry safe.
   *
   * @throws UnknownSourceException when no profile is named {@code ref.source()}
   */
  public IntakeResult ingest(ObjectRef ref, InputStream input, IngestOptions options) {
    return ingest(ref, () -> input, options);
  }

  /**
   * Ingests one object, opening it only once it is claimed; the pipeline closes what it opened.
   * A failure to open it after the claim gives the batch back, like any other failure.
   *
   * @throws UnknownSourceException when no profile is named {@code ref.source()}
   */
  public IntakeResult ingest(ObjectRef ref, ObjectOpener opener, IngestOptions options) {
    SourceProfile profile = profiles.require(ref.source());
    BigDecimal threshold = options.thresholdPercent().orElse(profile.errorThresholdPercent());
    try (Handle control = database.jdbi().open()) {
      Optional<UUID> own = options.dryRun() ? Optional.empty() : Optional.ofNullable(unreleased.get(ref));
      Claim claim = options.dryRun()
          ? batches.startDryRun(control, ref, threshold)
          : batches.claim(control, ref, threshold, config.staleAfter(), own);
      own.ifPresent(token -> unreleased.remove(ref, token)); // taken over, or decided since by someone else
      boolean dryRun = options.dryRun();
      if (claim instanceof Claim.Duplicate d) {
        log.info("batch {} source={} duplicate of batch {} ({})", d.batchId(), ref.source(), d.originalId(),
            d.originalStatus());
        return IntakeResult.duplicate(d.batchId(), ref, dryRun, d.originalId(), d.originalStatus(), null, 0);
      }
      if (claim instanceof Claim.InProgress p) {
        log.info("batch {} source={} is held by a live worker; leaving it", p.batchId(), ref.source());
        return IntakeResult.inProgress(p.batchId(), ref);
      }
      Claim.Claimed c = (Claim.Claimed) claim;
      try (var batchId = MDC.putCloseable("batch_id", Long.toString(c.batchId()));
           var source = MDC.putCloseable("source", ref.source())) {
        log.info("batch {} source={} claimed (attempt {}{})", c.batchId(), ref.source(), c.attempt(),
            own.isPresent() && c.takeover() ? ", taking over this worker's own earlier attempt"
                : c.takeover() ? ", taken over" : "");
        BatchRun run = new BatchRun(database, config, batches, control, c, ref, profile, options, threshold,
            clock, hooks, timer);
        try {
          return run.run(opener);
        } catch (RuntimeException | Error e) {
          if (run.heldAfterFailure() && !dryRun) unreleased.put(ref, c.token());
          throw e;
        }
      } finally {
        MDC.remove("content_sha256");
      }
    }
  }
}
