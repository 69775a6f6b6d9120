package dev.dragonfly.intake;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batch bookkeeping in {@code intake.batches}: the claim, the heartbeat, every status change and
 * the outbox of each decided batch. Each write after the claim is fenced by the owner token, so a
 * worker that lost its claim changes nothing.
 *
 * <p>Every lease is judged on one clock, the database's ({@link DatabaseClock}): heartbeats,
 * the stale window, release and finish times are all {@code intake.lease_clock} when the statement
 * runs, never the clock of the machine that happens to ask. A takeover ends the session the
 * previous owner loaded with before it goes on ({@link #endPreviousLoad}), so it never waits on a
 * worker frozen in the middle of a statement.
 */
public final class BatchStore {
  private static final Logger log = LoggerFactory.getLogger(BatchStore.class);
  static final String PROCESSING = "('staging', 'validating', 'inserting')";
  /** How long a takeover waits for the previous owner's load session to end once told to. */
  static final Duration END_PREVIOUS_LOAD_WAIT = Duration.ofSeconds(5);

  private final Jdbi jdbi;
  private final DatabaseClock clock;

  public BatchStore(Jdbi jdbi) {
    this(jdbi, DatabaseClock.DATABASE);
  }

  public BatchStore(Jdbi jdbi, DatabaseClock clock) {
    this.jdbi = jdbi;
    this.clock = clock;
  }

  private long offset() {
    return clock.offsetMillis();
  }

  /** The application name of the session that loads {@code batchId}: how a takeover recognises it. */
  static String loadSessionName(long batchId) {
    return "dragonfly-intake load " + batchId;
  }

  /**
   * Claims the object version atomically. The INSERT is arbitrated by the unique index
   * {@code batches_one_per_object}; losing it, the worker may take over a released batch or
   * one whose heartbeat has been silent for {@code staleAfter}, or else learns who holds it. An
   * object already decided (completed, rejected, or a content duplicate) is answered from its
   * row without reading the file: the redelivery is recorded as a duplicate naming the batch
   * whose rows it holds.
   *
   * @param ownToken the token of this worker's own earlier attempt whose release failed (its
   *     heartbeat may still look fresh): that claim is taken over at once, not waited for
   */
  public Claim claim(Handle h, ObjectRef ref, BigDecimal thresholdPercent, Duration staleAfter,
                     Optional<UUID> ownToken) {
    UUID token = UUID.randomUUID();
    while (true) {
      // Looked up first: an INSERT … ON CONFLICT that conflicts still uses up an id, and every
      // re-sent file would leave a gap in the batch ids. Two deliveries racing past this both
      // insert, and the loser's id is the one gap left.
      boolean known = h.createQuery("""
              SELECT EXISTS (SELECT 1 FROM intake.batches
                              WHERE source = :source AND object_key = :key AND object_version = :version
                                AND NOT dry_run AND NOT redelivery)""")
          .bind("source", ref.source()).bind("key", ref.key()).bind("version", ref.version())
          .mapTo(Boolean.class).one();
      Optional<Long> inserted = known ? Optional.empty() : h.createQuery("""
              INSERT INTO intake.batches (source, object_key, object_version, status, owner_token,
                                          heartbeat_at, started_at, error_threshold_percent)
              VALUES (:source, :key, :version, 'staging', :token, intake.lease_clock(:offset),
                      intake.lease_clock(:offset), :threshold)
              ON CONFLICT (source, object_key, object_version) WHERE NOT dry_run AND NOT redelivery
              DO NOTHING
              RETURNING id""")
          .bind("source", ref.source()).bind("key", ref.key()).bind("version", ref.version())
          .bind("token", token).bind("threshold", thresholdPercent).bind("offset", offset())
          .mapTo(Long.class).findOne();
      if (inserted.isPresent()) return new Claim.Claimed(inserted.get(), 1, token, false);

      Optional<Takeover> takeover = h.createQuery("""
              UPDATE intake.batches
              SET status = 'staging', attempt = attempt + 1, owner_token = :token,
                  heartbeat_at = intake.lease_clock(:offset), started_at = intake.lease_clock(:offset),
                  error_threshold_percent = :threshold, last_error = NULL,
                  rejection_reason = NULL, content_sha256 = NULL, bytes_read = NULL, finished_at = NULL,
                  rows_total = NULL, rows_valid = NULL, rows_invalid = NULL,
                  rows_inserted = NULL, rows_updated = NULL, rows_unchanged = NULL,
                  results_written_at = NULL, event_published_at = NULL -- a new attempt, a new verdict to deliver
              WHERE source = :source AND object_key = :key AND object_version = :version
                AND NOT dry_run AND NOT redelivery
                AND (status = 'uploaded'
                     OR (status IN""" + PROCESSING + """
                         AND (heartbeat_at < intake.lease_clock(:offset) - :staleMs * interval '1 millisecond'
                              OR owner_token = CAST(:own AS uuid))))
              RETURNING id, attempt, load_pid, load_backend_start""")
          .bind("source", ref.source()).bind("key", ref.key()).bind("version", ref.version())
          .bind("token", token).bind("threshold", thresholdPercent)
          .bind("offset", offset()).bind("staleMs", staleAfter.toMillis())
          .bind("own", ownToken.map(UUID::toString).orElse(null))
          .map((rs, ctx) -> new Takeover(new Claim.Claimed(rs.getLong("id"), rs.getInt("attempt"), token, true),
              (Integer) rs.getObject("load_pid"), rs.getObject("load_backend_start", OffsetDateTime.class)))
          .findOne();
      if (takeover.isPresent()) {
        Takeover t = takeover.get(); // committed: the batch is ours, the previous owner fenced out
        if (t.previousLoadPid() != null) endPreviousLoad(h, t.claim().batchId(), t.previousLoadPid(), t.previousLoadStart());
        return t.claim();
      }

      Optional<Batch> existing = h.createQuery("SELECT " + Batch.COLUMNS + """
               FROM intake.batches
              WHERE source = :source AND object_key = :key AND object_version = :version
                AND NOT dry_run AND NOT redelivery""")
          .bind("source", ref.source()).bind("key", ref.key()).bind("version", ref.version())
          .mapTo(Batch.class).findOne();
      // released or re-driven between our statements: try again
      if (existing.isEmpty() || existing.get().status().equals("uploaded")) continue;
      Batch batch = existing.get();
      if (isProcessing(batch.status())) {
        return new Claim.InProgress(batch.id());
      }
      // a content duplicate's redelivery names the batch whose rows it holds, not the duplicate
      long holder = batch.duplicateOf() != null ? batch.duplicateOf() : batch.id();
      String holderStatus = holder == batch.id() ? batch.status() : require(h, holder).status();
      long redelivery = recordDuplicate(h, ref, holder, thresholdPercent, false, true);
      return new Claim.Duplicate(redelivery, holder, holderStatus);
    }
  }

  private record Takeover(Claim.Claimed claim, Integer previousLoadPid, OffsetDateTime previousLoadStart) {}

  /** Claims as a worker with no earlier attempt of its own at this object. */
  public Claim claim(Handle h, ObjectRef ref, BigDecimal thresholdPercent, Duration staleAfter) {
    return claim(h, ref, thresholdPercent, staleAfter, Optional.empty());
  }

  /**
   * Ends the session the previous owner of {@code batchId} loaded with, and waits (up to
   * {@link #END_PREVIOUS_LOAD_WAIT}) until it is gone, so that its uncommitted rows and locks are
   * too. Only that very session: same pid, same start (where this role may see it), still in
   * this batch's load transaction (the name is local to it: a pooled connection reused for
   * other work is left alone). A refusal is logged, not fatal: the
   * load statement's own timeouts still end that session.
   */
  private void endPreviousLoad(Handle h, long batchId, int pid, OffsetDateTime backendStart) {
    try {
      // backend_start reads null for another role's session without pg_read_all_stats: the pid
      // and the batch's name still identify it
      Optional<Boolean> ended = h.createQuery("""
              SELECT pg_terminate_backend(pid, :waitMs) FROM pg_stat_activity
              WHERE pid = :pid AND application_name = :name AND pid <> pg_backend_pid()
                AND (backend_start = :start OR backend_start IS NULL)""")
          .bind("pid", pid).bind("start", backendStart).bind("name", loadSessionName(batchId))
          .bind("waitMs", END_PREVIOUS_LOAD_WAIT.toMillis())
          .mapTo(Boolean.class).findOne();
      if (ended.isEmpty()) return; // that session is gone already
      if (ended.get()) {
        log.info("batch {}: ended the previous owner's load session (pid {})", batchId, pid);
      } else {
        log.warn("batch {}: the previous owner's load session (pid {}) did not end within {} s; this load may "
            + "wait for it until its timeouts end it", batchId, pid, END_PREVIOUS_LOAD_WAIT.toSeconds());
      }
    } catch (RuntimeException e) {
      log.warn("batch {}: could not end the previous owner's load session (pid {}): {}; run the workers as one "
          + "database role or grant it pg_signal_backend", batchId, pid, TransientFailures.describe(e));
    }
  }

  /** Records the session (pid, start) that loads the claimed batch; false when the claim was lost. */
  boolean recordLoadSession(Handle h, Claim.Claimed claim, int pid, OffsetDateTime backendStart) {
    return h.createUpdate("""
            UPDATE intake.batches SET load_pid = :pid, load_backend_start = :start
            WHERE id = :id AND owner_token = :token AND status IN""" + PROCESSING)
        .bind("pid", pid).bind("start", backendStart).bind("id", claim.batchId()).bind("token", claim.token())
        .execute() == 1;
  }

  /** The batch that holds this object version (not a redelivery, not a dry run). */
  public Optional<Batch> holderOf(ObjectRef ref) {
    return jdbi.withHandle(h -> h.createQuery("SELECT " + Batch.COLUMNS + """
             FROM intake.batches
            WHERE source = :source AND object_key = :key AND object_version = :version
              AND NOT dry_run AND NOT redelivery""")
        .bind("source", ref.source()).bind("key", ref.key()).bind("version", ref.version())
        .mapTo(Batch.class).findOne());
  }

  private static Batch require(Handle h, long id) {
    return h.createQuery("SELECT " + Batch.COLUMNS + " FROM intake.batches WHERE id = :id")
        .bind("id", id).mapTo(Batch.class).findOne().orElseThrow(() -> new BatchNotFoundException(id));
  }

  /**
   * Starts a dry run: a batch of its own that never claims the object. An object version that
   * was already processed previews as what the real run would be: a duplicate.
   */
  public Claim startDryRun(Handle h, ObjectRef ref, BigDecimal thresholdPercent) {
    Optional<Batch> processed = h.createQuery("SELECT " + Batch.COLUMNS + """
             FROM intake.batches
            WHERE source = :source AND object_key = :key AND object_version = :version
              AND NOT dry_run AND NOT redelivery""")
        .bind("source", ref.source()).bind("key", ref.key()).bind("version", ref.version())
        .mapTo(Batch.class).findOne()
        .filter(b -> !isProcessing(b.status()) && !b.status().equals("uploaded"));
    if (processed.isPresent()) {
      Batch holder = processed.get();
      Batch original = holder.duplicateOf() == null ? holder : require(h, holder.duplicateOf());
      return new Claim.Duplicate(recordDuplicate(h, ref, original.id(), thresholdPercent, true, false),
          original.id(), original.status());
    }
    UUID token = UUID.randomUUID();
    long id = h.createQuery("""
            INSERT INTO intake.batches (source, object_key, object_version, status, dry_run, owner_token,
                                        heartbeat_at, started_at, error_threshold_percent)
            VALUES (:source, :key, :version, 'staging', true, :token, intake.lease_clock(:offset),
                    intake.lease_clock(:offset), :threshold)
            RETURNING id""")
        .bind("source", ref.source()).bind("key", ref.key()).bind("version", ref.version())
        .bind("token", token).bind("threshold", thresholdPercent).bind("offset", offset())
        .mapTo(Long.class).one();
    return new Claim.Claimed(id, 1, token, false);
  }

  private long recordDuplicate(Handle h, ObjectRef ref, long originalId, BigDecimal thresholdPercent,
                               boolean dryRun, boolean redelivery) {
    return h.createQuery("""
            INSERT INTO intake.batches (source, object_key, object_version, status, dry_run, redelivery,
                                        duplicate_of, error_threshold_percent, started_at, finished_at)
            VALUES (:source, :key, :version, 'duplicate', :dryRun, :redelivery, :original, :threshold,
                    intake.lease_clock(:offset), intake.lease_clock(:offset))
            RETURNING id""")
        .bind("source", ref.source()).bind("key", ref.key()).bind("version", ref.version())
        .bind("dryRun", dryRun).bind("redelivery", redelivery && !dryRun).bind("original", originalId)
        .bind("threshold", thresholdPercent).bind("offset", offset())
        .mapTo(Long.class).one();
  }

  /** One of the states a worker holds a batch in: staging, validating, inserting. */
  public static boolean isProcessing(String status) {
    return status.equals("staging") || status.equals("validating") || status.equals("inserting");
  }

  /**
   * One attempt of a batch as {@code intake.batch_attempts} keeps it: who asked for it and why,
   * when it ran, and how it ended (null while it runs).
   */
  public record Attempt(int attempt, OffsetDateTime requestedAt, String requestedBy, String reason,
                        OffsetDateTime startedAt, OffsetDateTime finishedAt, String outcome,
                        String detail) {}

  /** Every attempt of the batch, first to last. */
  public List<Attempt> attempts(long id) {
    return jdbi.withHandle(h -> h.createQuery("""
            SELECT attempt, requested_at, requested_by, reason, started_at, finished_at, outcome, detail
              FROM intake.batch_attempts WHERE batch_id = :id ORDER BY attempt""")
        .bind("id", id)
        .map((rs, ctx) -> new Attempt(rs.getInt("attempt"), rs.getObject("requested_at", OffsetDateTime.class),
            rs.getString("requested_by"), rs.getString("reason"), rs.getObject("started_at", OffsetDateTime.class),
            rs.getObject("finished_at", OffsetDateTime.class), rs.getString("outcome"), rs.getString("detail")))
        .list());
  }

  /**
   * Releases a batch for another run, by an operator: a rejected ({@code failed}) batch, one
   * already released, or one whose worker went silent for {@code staleAfter}. Its next claim
   * takes it over as a new attempt; earlier attempts' row errors stay, no longer current.
   *
   * @throws RefusedException for a batch that loaded, is a duplicate or a dry run, or is alive
   */
  public Batch releaseForReingest(long id, String reason, Duration staleAfter) {
    return releaseForReingest(id, reason, "operator", staleAfter);
  }

  /** @param by who asks: kept with the new attempt ({@code intake.batch_attempts}), e.g. {@code operator ana} */
  public Batch releaseForReingest(long id, String reason, String by, Duration staleAfter) {
    return jdbi.inTransaction(h -> {
      Batch batch = h.createQuery("SELECT " + Batch.COLUMNS + " FROM intake.batches WHERE id = :id FOR UPDATE")
          .bind("id", id).mapTo(Batch.class).findOne().orElseThrow(() -> new BatchNotFoundException(id));
      if (batch.dryRun()) throw RefusedException.reingest("batch " + id + " is a dry run; run the file again instead");
      switch (batch.status()) {
        case "completed", "rolled_back" -> throw RefusedException.reingest("batch " + id + " is " + batch.status()
            + "; a loaded file is not loaded twice: upload a corrected file as a new version");
        case "duplicate" -> throw RefusedException.reingest("batch " + id + " is a duplicate of batch "
            + batch.duplicateOf() + "; re-ingest that one if it needs it");
        case "failed", "uploaded" -> { }
        default -> {
          boolean silent = isSilent(h, id, staleAfter);
          if (!silent) throw RefusedException.reingest("batch " + id + " is " + batch.status()
              + " and its worker is alive (heartbeat " + batch.heartbeatAt() + "); let it finish");
        }
      }
      // an operator's re-ingest is a fresh start: the sentinel's re-drive budget starts again
      h.createUpdate("""
              UPDATE intake.batches SET status = 'uploaded', owner_token = NULL, last_error = :reason,
                     released_at = intake.lease_clock(:offset), redrives = 0, released_by = :by
              WHERE id = :id""")
          .bind("reason", "re-ingest requested: " + reason).bind("offset", offset()).bind("id", id).bind("by", by)
          .execute();
      return batch;
    });
  }

  /**
   * Fails a batch by an operator's decision (runbooks/stuck-batches.md): one given back
   * ({@code uploaded}) or one whose worker went silent for {@code staleAfter}. The reason is kept
   * as its rejection reason; {@code batch reingest} can run it again later.
   *
   * @throws RefusedException for a batch already decided, or whose worker is alive
   */
  public Batch failByOperator(long id, String reason, Duration staleAfter) {
    return jdbi.inTransaction(h -> {
      Batch batch = h.createQuery("SELECT " + Batch.COLUMNS + " FROM intake.batches WHERE id = :id FOR UPDATE")
          .bind("id", id).mapTo(Batch.class).findOne().orElseThrow(() -> new BatchNotFoundException(id));
      if (!batch.status().equals("uploaded") && !isProcessing(batch.status())) {
        throw RefusedException.fail("batch " + id + " is already " + batch.status() + "; nothing to fail");
      }
      if (isProcessing(batch.status()) && !isSilent(h, id, staleAfter)) {
        throw RefusedException.fail("batch " + id + " is " + batch.status() + " and its worker is alive (heartbeat "
            + batch.heartbeatAt() + "); let it finish, or fail it once its heartbeat is older than " + staleAfter.toSeconds() + " s");
      }
      h.createUpdate("""
              UPDATE intake.batches SET status = 'failed', owner_token = NULL, finished_at = intake.lease_clock(:offset),
                     rejection_reason = :reason
              WHERE id = :id""")
          .bind("offset", offset()).bind("reason", "failed by an operator: " + reason).bind("id", id).execute();
      return batch;
    });
  }

  /** Whether the batch's heartbeat is older than {@code staleAfter}, on the database's clock. */
  private boolean isSilent(Handle h, long id, Duration staleAfter) {
    return h.createQuery("""
            SELECT heartbeat_at < intake.lease_clock(:offset) - :staleMs * interval '1 millisecond'
            FROM intake.batches WHERE id = :id""")
        .bind("offset", offset()).bind("staleMs", staleAfter.toMillis()).bind("id", id).mapTo(Boolean.class).one();
  }

  /** Refreshes the heartbeat; false when the claim was lost. */
  public boolean heartbeat(Handle h, Claim.Claimed claim) {
    return h.createUpdate("UPDATE intake.batches SET heartbeat_at = intake.lease_clock(:offset) "
            + "WHERE id = :id AND owner_token = :token AND status IN " + PROCESSING)
        .bind("offset", offset()).bind("id", claim.batchId()).bind("token", claim.token()).execute() == 1;
  }

  /** Moves the batch to another processing status; false when the claim was lost. */
  public boolean advance(Handle h, Claim.Claimed claim, String status) {
    return h.createUpdate("UPDATE intake.batches SET status = :status, heartbeat_at = intake.lease_clock(:offset) "
            + "WHERE id = :id AND owner_token = :token AND status IN " + PROCESSING)
        .bind("status", status).bind("offset", offset()).bind("id", claim.batchId()).bind("token", claim.token())
        .execute() == 1;
  }

  /** Marks the content duplicate of a completed batch; false when the claim was lost. */
  public boolean markDuplicate(Handle h, Claim.Claimed claim, long originalId, String sha256, long bytes) {
    return h.createUpdate("""
            UPDATE intake.batches
            SET status = 'duplicate', duplicate_of = :original, content_sha256 = :sha, bytes_read = :bytes,
                owner_token = NULL, load_pid = NULL, finished_at = intake.lease_clock(:offset)
            WHERE id = :id AND owner_token = :token AND status IN""" + PROCESSING)
        .bind("original", originalId).bind("sha", sha256).bind("bytes", bytes).bind("offset", offset())
        .bind("id", claim.batchId()).bind("token", claim.token()).execute() == 1;
  }

  /** Records a rejected file: status failed, the reason, what was counted; false when the claim was lost. */
  public boolean reject(Handle h, Claim.Claimed claim, String reason, BatchCounts counts, String sha256, long bytes) {
    return h.createUpdate("""
            UPDATE intake.batches
            SET status = 'failed', rejection_reason = :reason, content_sha256 = :sha, bytes_read = :bytes,
                rows_total = :total, rows_valid = :valid, rows_invalid = :invalid,
                rows_inserted = 0, rows_updated = 0, rows_unchanged = 0,
                owner_token = NULL, load_pid = NULL, finished_at = intake.lease_clock(:offset)
            WHERE id = :id AND owner_token = :token AND status IN""" + PROCESSING)
        .bind("reason", reason).bind("sha", sha256).bind("bytes", bytes).bind("offset", offset())
        .bind("total", counts.total()).bind("valid", counts.valid()).bind("invalid", counts.invalid())
        .bind("id", claim.batchId()).bind("token", claim.token()).execute() == 1;
  }

  /**
   * Gives the batch back after a failure that was not the file's fault (database or I/O):
   * status {@code uploaded}, claimable at once by a retry. A no-op, and false, when the claim was lost.
   */
  public boolean release(Handle h, Claim.Claimed claim, String error) {
    return h.createUpdate("""
            UPDATE intake.batches SET status = 'uploaded', owner_token = NULL, load_pid = NULL, last_error = :error,
                   released_at = intake.lease_clock(:offset), released_by = 'worker, after a failure'
            WHERE id = :id AND owner_token = :token AND status IN""" + PROCESSING)
        .bind("error", error).bind("offset", offset()).bind("id", claim.batchId()).bind("token", claim.token())
        .execute() == 1;
  }

  /**
   * Completes the batch inside the load transaction, so target rows commit only with it. Its
   * {@code finished_at} is read when this runs, just before the commit, not when the load's
   * transaction began.
   */
  boolean complete(Connection load, Claim.Claimed claim, BatchCounts counts, String sha256, long bytes)
      throws SQLException {
    try (var ps = load.prepareStatement("""
        UPDATE intake.batches
        SET status = 'completed', content_sha256 = ?, bytes_read = ?,
            rows_total = ?, rows_valid = ?, rows_invalid = ?,
            rows_inserted = ?, rows_updated = ?, rows_unchanged = ?,
            owner_token = NULL, load_pid = NULL, heartbeat_at = intake.lease_clock(?),
            finished_at = intake.lease_clock(?)
        WHERE id = ? AND owner_token = ? AND status IN""" + PROCESSING)) {
      ps.setString(1, sha256);
      ps.setLong(2, bytes);
      ps.setLong(3, counts.total());
      ps.setLong(4, counts.valid());
      ps.setLong(5, counts.invalid());
      ps.setLong(6, counts.inserted());
      ps.setLong(7, counts.updated());
      ps.setLong(8, counts.unchanged());
      ps.setLong(9, offset());
      ps.setLong(10, offset());
      ps.setLong(11, claim.batchId());
      ps.setObject(12, claim.token());
      return ps.executeUpdate() == 1;
    }
  }

  /** Which parts of a decided batch's outcome have been delivered. */
  public record Outbox(boolean resultsWritten, boolean eventPublished) {}

  /**
   * Reads a batch's outbox and locks its row until {@code h}'s transaction ends, so that two
   * deliveries racing for the same batch deliver each part once.
   */
  public Outbox lockOutbox(Handle h, long id) {
    return h.createQuery("""
            SELECT results_written_at IS NOT NULL AS results_written, event_published_at IS NOT NULL AS event_published
            FROM intake.batches WHERE id = :id FOR UPDATE""")
        .bind("id", id)
        .map((rs, ctx) -> new Outbox(rs.getBoolean("results_written"), rs.getBoolean("event_published")))
        .findOne().orElseThrow(() -> new BatchNotFoundException(id));
  }

  public void markResultsWritten(Handle h, long id) {
    h.createUpdate("""
            UPDATE intake.batches SET results_written_at = intake.lease_clock(:offset)
            WHERE id = :id AND results_written_at IS NULL""")
        .bind("offset", offset()).bind("id", id).execute();
  }

  public void markEventPublished(Handle h, long id) {
    h.createUpdate("""
            UPDATE intake.batches SET event_published_at = intake.lease_clock(:offset)
            WHERE id = :id AND event_published_at IS NULL""")
        .bind("offset", offset()).bind("id", id).execute();
  }

  /** The completed batch of this source with the same content that finished last, other than this one. */
  public Optional<Long> completedWithContent(Handle h, String source, String sha256, long exceptId) {
    return h.createQuery("""
            SELECT id FROM intake.batches
            WHERE source = :source AND content_sha256 = :sha AND status = 'completed' AND NOT dry_run
              AND id <> :id
            ORDER BY finished_at DESC, id DESC LIMIT 1""")
        .bind("source", source).bind("sha", sha256).bind("id", exceptId)
        .mapTo(Long.class).findOne();
  }

  public Optional<Batch> find(long id) {
    return jdbi.withHandle(h -> h.createQuery("SELECT " + Batch.COLUMNS + " FROM intake.batches WHERE id = :id")
        .bind("id", id).mapTo(Batch.class).findOne());
  }

  public Batch require(long id) {
    return find(id).orElseThrow(() -> new BatchNotFoundException(id));
  }

  /** Most recent batches first. */
  public List<Batch> recent(int limit) {
    return jdbi.withHandle(h -> h.createQuery("SELECT " + Batch.COLUMNS
            + " FROM intake.batches ORDER BY created_at DESC, id DESC LIMIT :limit")
        .bind("limit", limit).mapTo(Batch.class).list());
  }
}
