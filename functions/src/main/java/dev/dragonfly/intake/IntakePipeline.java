package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

import java.io.InputStream;
import java.math.BigDecimal;
import java.time.Clock;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
  private final BatchStore batches;
  private final SourceProfiles profiles;

  public IntakePipeline(Database database, IntakeConfig config, Clock clock) {
    this(database, config, clock, IntakeHooks.NONE);
  }

  IntakePipeline(Database database, IntakeConfig config, Clock clock, IntakeHooks hooks) {
    this.database = requireNonNull(database, "database == null");
    this.config = requireNonNull(config, "config == null");
    this.clock = requireNonNull(clock, "clock == null");
    this.hooks = requireNonNull(hooks, "hooks == null");
    this.batches = new BatchStore(database.jdbi());
    this.profiles = new SourceProfiles(database.jdbi());
  }

  /**
   * Ingests one object. Data problems come back as a result (status {@code failed} with a
   * reason, row errors in {@code intake.row_errors}); exceptions mean the work could not be done
   * and may be retried: the claim makes a retry safe.
   *
   * @throws UnknownSourceException when no profile is named {@code ref.source()}
   */
  public IntakeResult ingest(ObjectRef ref, InputStream input, IngestOptions options) {
    SourceProfile profile = profiles.require(ref.source());
    BigDecimal threshold = options.thresholdPercent().orElse(profile.errorThresholdPercent());
    try (Handle control = database.jdbi().open()) {
      Claim claim = options.dryRun()
          ? batches.startDryRun(control, ref, threshold)
          : batches.claim(control, ref, threshold, config.staleAfter());
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
      log.info("batch {} source={} claimed (attempt {}{})", c.batchId(), ref.source(), c.attempt(),
          c.takeover() ? ", taken over" : "");
      hooks.afterClaim(c.batchId());
      return new BatchRun(database, config, batches, control, c, ref, profile, dryRun, threshold,
          clock, hooks).run(input);
    }
  }
}
