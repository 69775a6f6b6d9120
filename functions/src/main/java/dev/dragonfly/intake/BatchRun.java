package dev.dragonfly.intake;

import dev.dragonfly.intake.judgments.HeaderMapping;
import dev.dragonfly.intake.judgments.JudgmentLoader;
import dev.dragonfly.intake.judgments.JudgmentValidator;
import dev.dragonfly.intake.judgments.ValidatedRow;
import dev.dragonfly.intake.csv.CsvReader;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Handle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One claimed attempt at one batch. A reader thread streams, hashes, parses and validates the
 * file into chunks while this thread loads them, so parsing overlaps with loading. All target
 * writes happen in one load transaction that commits together with the batch's completion,
 * fenced by the owner token: a crash or a lost claim leaves the target untouched.
 */
final class BatchRun {
  private static final Logger log = LoggerFactory.getLogger(BatchRun.class);
  /** Enough to keep the loader fed; more only lengthens object lifetimes and GC work. */
  private static final int CHUNKS_AHEAD = 2;

  private final Database database;
  private final IntakeConfig config;
  private final BatchStore batches;
  private final Handle control;
  private final Claim.Claimed claim;
  private final ObjectRef ref;
  private final SourceProfile profile;
  private final boolean dryRun;
  private final BigDecimal threshold;
  private final Clock clock;
  private final IntakeHooks hooks;
  private final HeartbeatTimer timer;
  private final Instant deadline;

  private final BlockingQueue<Chunk> chunks = new ArrayBlockingQueue<>(CHUNKS_AHEAD);
  private volatile boolean cancelled;
  private volatile HeaderMapping header;
  private volatile String sha256;
  private volatile long bytesRead;
  private static final int ERRORS_PER_WRITE = 2000;
  private final List<RowError> pendingErrors = new ArrayList<>();
  private long total;
  private long invalid;
  private final Map<ErrorCode, Long> errorsByCode = new EnumMap<>(ErrorCode.class);
  private final long startedNanos = System.nanoTime();
  /** The attempt failed and could not give its batch back: the claim is still this worker's. */
  private volatile boolean heldAfterFailure;

  BatchRun(Database database, IntakeConfig config, BatchStore batches, Handle control, Claim.Claimed claim,
           ObjectRef ref, SourceProfile profile, IngestOptions options, BigDecimal threshold, Clock clock,
           IntakeHooks hooks, HeartbeatTimer timer) {
    this.database = database;
    this.config = config;
    this.batches = batches;
    this.control = control;
    this.claim = claim;
    this.ref = ref;
    this.profile = profile;
    this.dryRun = options.dryRun();
    this.deadline = options.deadline().orElse(Instant.MAX);
    this.threshold = threshold;
    this.clock = clock;
    this.hooks = hooks;
    this.timer = timer;
  }

  /**
   * A slice of validated rows with those to load (valid, first of their key in the chunk) already
   * encoded for the target; or the end of input, or the reader's failure.
   */
  private record Chunk(List<ValidatedRow> rows, List<ValidatedRow> toLoad, CopyRows encoded, Throwable failure) {
    static final Chunk END = new Chunk(List.of(), List.of(), null, null);

    static Chunk failed(Throwable failure) {
      return new Chunk(List.of(), List.of(), null, failure);
    }
  }

  /**
   * Runs the attempt to its verdict. Whatever fails after the claim, the batch is either given
   * back at once ({@code uploaded}, with {@code last_error}) or, when even that is impossible
   * (the database is gone, the process dies), left with a heartbeat that goes stale, so a retry
   * or the sentinel takes it over. Nothing here ends with a batch held and nobody working on it.
   */
  IntakeResult run(ObjectOpener opener) {
    Heartbeat heartbeat = new Heartbeat(batches, control, claim, config.heartbeatInterval(), timer);
    Thread reader = null;
    InputStream input = null;
    Connection load = null;
    try {
      hooks.afterClaim(claim.batchId());
      InputStream in = input = opener.open();
      reader = new Thread(() -> read(in), "intake-reader-" + claim.batchId());
      reader.setDaemon(true);
      load = database.connection();
      prepare(load);
      reader.start();
      return loadAndFinish(load, heartbeat);
    } catch (FileRejectedException e) {
      rollbackQuietly(load);
      try {
        return reject(e.error());
      } catch (ClaimLostException lost) {
        throw lost;
      } catch (Throwable failed) { // the verdict could not be recorded: give the batch back for a retry
        throw giveBack(failed);
      }
    } catch (ClaimLostException e) {
      rollbackQuietly(load); // the new owner finishes the batch: nothing to give back
      throw e;
    } catch (Throwable e) {
      rollbackQuietly(load);
      throw giveBack(e);
    } finally {
      heartbeat.close();
      cancelled = true;
      if (reader != null) reader.interrupt();
      closeQuietly(load);
      closeQuietly(input);
    }
  }

  /**
   * Opens the load transaction and bounds it on the server's side (README "Timing"): an idle
   * transaction ends before anyone may take the batch over; no statement outlives the statement
   * timeout; TCP keepalives and the user timeout end it when the worker's network stops
   * answering. The transaction is named for the batch and recorded on it, so that a takeover can
   * end exactly this one. Every setting is local to the transaction: the connection goes back to
   * a pool as it came (a pooled connection reused for other work keeps neither the name nor the
   * timeouts), and a pooler that multiplexes transactions keeps the whole load on the backend
   * whose pid is recorded.
   */
  private void prepare(Connection load) throws SQLException {
    load.setAutoCommit(false);
    int pid;
    OffsetDateTime started;
    try (var ps = load.prepareStatement("""
        SELECT set_config('idle_in_transaction_session_timeout', ?, true),
               set_config('statement_timeout', ?, true),
               set_config('tcp_keepalives_idle', ?, true),
               set_config('tcp_keepalives_interval', ?, true),
               set_config('tcp_keepalives_count', ?, true),
               set_config('tcp_user_timeout', ?, true),
               set_config('application_name', ?, true),
               pg_backend_pid() AS pid,
               (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()) AS started""")) {
      ps.setString(1, Long.toString(config.idleInTransactionTimeout().toMillis()));
      ps.setString(2, Long.toString(config.statementTimeout().toMillis()));
      ps.setString(3, Long.toString(TCP_KEEPALIVE_IDLE.toSeconds()));
      ps.setString(4, Long.toString(TCP_KEEPALIVE_INTERVAL.toSeconds()));
      ps.setString(5, Integer.toString(TCP_KEEPALIVE_COUNT));
      ps.setString(6, Long.toString(tcpUserTimeout().toMillis()));
      ps.setString(7, BatchStore.loadSessionName(claim.batchId()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        pid = rs.getInt("pid");
        started = rs.getObject("started", OffsetDateTime.class);
      }
    }
    // recorded by the control connection: the load's transaction must not hold the batch row
    boolean recorded;
    synchronized (control) {
      recorded = batches.recordLoadSession(control, claim, pid, started);
    }
    if (!recorded) throw new ClaimLostException(claim.batchId(), claim.attempt());
  }

  /** Probes after 10 s of silence, every 5 s, 3 of them: a dead peer is found within 25 s. */
  static final Duration TCP_KEEPALIVE_IDLE = Duration.ofSeconds(10);
  static final Duration TCP_KEEPALIVE_INTERVAL = Duration.ofSeconds(5);
  static final int TCP_KEEPALIVE_COUNT = 3;

  /** Data the server sent that the worker has not acknowledged for this long ends the session. */
  private Duration tcpUserTimeout() {
    return TCP_KEEPALIVE_IDLE.plus(TCP_KEEPALIVE_INTERVAL.multipliedBy(TCP_KEEPALIVE_COUNT));
  }

  private IntakeResult loadAndFinish(Connection load, Heartbeat heartbeat) throws SQLException, IOException {
    JudgmentLoader loader = new JudgmentLoader(load, claim.batchId(), ref.source(), dryRun,
        () -> hooks.duringCopy(claim.batchId()));
    long loadedRows = 0;
    while (true) {
      Chunk chunk = take();
      if (chunk.failure() != null) throw rethrow(chunk.failure());
      if (chunk == Chunk.END) break;
      heartbeat.checkClaim(); // a worker that lost its claim writes no further row
      checkDeadline();
      loader.load(chunk.toLoad(), chunk.encoded());
      count(chunk.rows());
      loadedRows += chunk.rows().size();
      hooks.afterChunk(claim.batchId(), loadedRows);
    }
    flushErrors();
    MDC.put("content_sha256", sha256);
    advance("validating");
    hooks.beforeContentCheck(claim.batchId());
    // a dry run asks too: its preview must match the real run
    Long original = sameContentCompleted(load);
    if (original != null && !loader.wouldChangeNothing()) {
      log.info("batch {} source={} has the content of completed batch {}, but the table no longer holds all of "
          + "it: loading it", claim.batchId(), ref.source(), original);
      original = null; // what the vendor sent last is what the table holds: a revert loads
    }
    hooks.afterContentCheck(claim.batchId());
    if (original != null) return duplicateOf(load, original);
    BigDecimal errorRate = total == 0 ? BigDecimal.ZERO
        : BigDecimal.valueOf(invalid * 100).divide(BigDecimal.valueOf(total), 6, RoundingMode.HALF_UP);
    if (errorRate.compareTo(threshold) > 0) {
      throw new FileRejectedException(ErrorCode.ERROR_RATE_EXCEEDED, null, rateReason(errorRate));
    }
    advance("inserting");
    checkDeadline();
    JudgmentLoader.Outcome outcome = dryRun ? loader.preview()
        : loader.merge(() -> hooks.afterMergeHistory(claim.batchId()));
    BatchCounts counts = new BatchCounts(total, total - invalid, invalid, outcome.inserted(), outcome.updated(),
        outcome.unchanged());
    if (!counts.reconciles()) throw new IllegalStateException("counts do not reconcile: " + counts);
    hooks.beforeFinalize(claim.batchId());
    heartbeat.close();
    if (dryRun) load.rollback(); // a dry run writes nothing to the target, only its own batch row
    long millis = elapsedMillis();
    OutcomeDetails.record(load, claim, ignoredColumns(), millis);
    if (!batches.complete(load, claim, counts, sha256, bytesRead)) {
      load.rollback();
      throw new ClaimLostException(claim.batchId(), claim.attempt());
    }
    load.commit();
    log.info("batch {} source={} sha256={} completed{}: total={} invalid={} inserted={} updated={} unchanged={}",
        claim.batchId(), ref.source(), sha256, dryRun ? " (dry run)" : "", counts.total(), counts.invalid(),
        counts.inserted(), counts.updated(), counts.unchanged());
    return result(IntakeResult.COMPLETED, counts, null, millis);
  }

  /** A later row repeating a case number of this chunk is a duplicate; earlier chunks are the loader's job. */
  private static List<ValidatedRow> dropDuplicatesWithinChunk(List<ValidatedRow> rows) {
    Map<String, Long> first = new HashMap<>(rows.size() * 2);
    List<ValidatedRow> valid = new ArrayList<>(rows.size());
    for (ValidatedRow row : rows) {
      if (!row.isValid()) continue;
      Long earlier = first.putIfAbsent(row.caseNumber(), row.recordNumber());
      if (earlier != null) {
        row.addError("case_number", ErrorCode.DUPLICATE_CASE_NUMBER,
            "case_number already appears in record " + earlier + " of this file; only the first is loaded");
      } else {
        valid.add(row);
      }
    }
    return valid;
  }

  private void count(List<ValidatedRow> rows) {
    for (ValidatedRow row : rows) {
      total++;
      if (row.isValid()) continue;
      invalid++;
      for (RowError e : row.errors()) {
        pendingErrors.add(e);
        errorsByCode.merge(e.code(), 1L, Long::sum);
      }
    }
    if (pendingErrors.size() >= ERRORS_PER_WRITE) flushErrors();
  }

  /** Writes the buffered row errors: in batches, as each write is a round trip the load waits for. */
  private void flushErrors() {
    if (pendingErrors.isEmpty()) return;
    synchronized (control) {
      RowErrors.append(control, claim.batchId(), claim.attempt(), pendingErrors);
    }
    pendingErrors.clear();
  }

  private Long sameContentCompleted(Connection load) throws SQLException {
    // Serialises batches of identical content so that only the first one loads.
    try (var ps = load.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(? || ':' || ?, 0))")) {
      ps.setString(1, ref.source());
      ps.setString(2, sha256);
      ps.execute();
    }
    synchronized (control) {
      return batches.completedWithContent(control, ref.source(), sha256, claim.batchId()).orElse(null);
    }
  }

  private IntakeResult duplicateOf(Connection load, long original) throws SQLException {
    load.rollback();
    boolean marked;
    long millis = elapsedMillis();
    synchronized (control) {
      OutcomeDetails.record(control, claim, ignoredColumns(), millis);
      marked = batches.markDuplicate(control, claim, original, sha256, bytesRead);
    }
    if (!marked) throw new ClaimLostException(claim.batchId(), claim.attempt());
    log.info("batch {} source={} sha256={} has the content of completed batch {}: nothing loaded",
        claim.batchId(), ref.source(), sha256, original);
    return new IntakeResult(claim.batchId(), ref.source(), ref.key(), IntakeResult.DUPLICATE, dryRun, claim.attempt(),
        0, 0, 0, 0, 0, 0, errorsByCodeName(), null, original, IntakeResult.COMPLETED, sha256, bytesRead, ignoredColumns(),
        millis); // its row errors are in its errors CSV too
  }

  private String rateReason(BigDecimal rate) {
    String shown = rate.setScale(1, RoundingMode.HALF_UP).toPlainString();
    String limit = threshold.setScale(1, RoundingMode.HALF_UP).toPlainString();
    if (shown.equals(limit)) { // 10.04% > 10.0% must not read "10.0% > 10.0%"
      shown = rate.setScale(2, RoundingMode.HALF_UP).toPlainString();
      limit = threshold.setScale(2, RoundingMode.HALF_UP).toPlainString();
    }
    return "error rate " + shown + "% > " + limit + "% threshold";
  }

  private IntakeResult reject(RowError error) {
    if (sha256 != null) MDC.put("content_sha256", sha256);
    String reason = error.code() == ErrorCode.ERROR_RATE_EXCEEDED ? error.message()
        : error.code() + ": " + error.message();
    errorsByCode.merge(error.code(), 1L, Long::sum);
    BatchCounts counts = new BatchCounts(total, total - invalid, invalid, 0, 0, 0);
    boolean rejected;
    pendingErrors.add(error);
    flushErrors();
    long millis = elapsedMillis();
    synchronized (control) {
      OutcomeDetails.record(control, claim, ignoredColumns(), millis);
      rejected = batches.reject(control, claim, reason, counts, sha256, bytesRead);
    }
    if (!rejected) throw new ClaimLostException(claim.batchId(), claim.attempt());
    log.info("batch {} source={} sha256={} rejected: {}", claim.batchId(), ref.source(), sha256, error.code());
    return result(IntakeResult.FAILED, counts, reason, millis);
  }

  /** A function's deadline is near: give the batch back now rather than be killed holding it. */
  private void checkDeadline() {
    if (clock.instant().isAfter(deadline)) {
      throw new IntakeFailedException("batch " + claim.batchId() + " ran out of time (deadline " + deadline
          + ") and was given back for a retry", null);
    }
  }

  /**
   * Releases the batch with the reason and returns what to throw. An {@link Error} is released
   * too (best effort) and rethrown as it is.
   */
  private RuntimeException giveBack(Throwable e) {
    String what = TransientFailures.describe(e);
    try {
      synchronized (control) {
        batches.release(control, claim, what);
      }
      log.warn("batch {} source={} attempt {} failed and was released for a retry: {}", claim.batchId(),
          ref.source(), claim.attempt(), what);
    } catch (Throwable releaseFailed) {
      // The database is gone: the claim stays this worker's. Its own retry takes it over at once;
      // anyone else waits for the stale window.
      heldAfterFailure = true;
      e.addSuppressed(releaseFailed);
      log.warn("batch {} source={} attempt {} failed ({}) and could not be given back ({}); this worker's "
          + "retry takes it over as its own, anyone else after the stale window", claim.batchId(), ref.source(),
          claim.attempt(), what, TransientFailures.describe(releaseFailed));
    }
    if (e instanceof Error err) throw err;
    if (e instanceof IntakeException ie) return ie;
    return new IntakeFailedException("batch " + claim.batchId() + " could not be loaded: " + what, e);
  }

  private void advance(String status) {
    boolean advanced;
    synchronized (control) {
      advanced = batches.advance(control, claim, status);
    }
    if (!advanced) throw new ClaimLostException(claim.batchId(), claim.attempt());
  }

  /** True when the attempt failed and its batch could not be given back: its claim is still held. */
  boolean heldAfterFailure() {
    return heldAfterFailure;
  }

  /** The result as delivered; its ignored columns and duration are on the batch row (OutcomeDetails) too. */
  private IntakeResult result(String status, BatchCounts counts, String reason, long millis) {
    return new IntakeResult(claim.batchId(), ref.source(), ref.key(), status, dryRun, claim.attempt(),
        counts.total(), counts.valid(), counts.invalid(), counts.inserted(), counts.updated(), counts.unchanged(),
        errorsByCodeName(), reason, null, null, sha256, bytesRead, ignoredColumns(), millis);
  }

  private Map<String, Long> errorsByCodeName() {
    Map<String, Long> byCode = new LinkedHashMap<>();
    errorsByCode.forEach((code, n) -> byCode.put(code.name(), n));
    return byCode;
  }

  private List<String> ignoredColumns() {
    HeaderMapping h = header;
    return h == null ? List.of() : h.ignoredColumns();
  }

  private long elapsedMillis() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
  }

  // ---- the reader thread ----

  private void read(InputStream input) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      LimitedInputStream limited = new LimitedInputStream(input, profile.maxFileBytes());
      DigestInputStream hashing = new DigestInputStream(limited, digest);
      try {
        CsvReader csv = new CsvReader(hashing);
        if (!csv.next()) throw HeaderMapping.emptyFile();
        HeaderMapping mapping = HeaderMapping.resolve(csv.fields(), csv.fieldCount(), profile);
        header = mapping;
        JudgmentValidator validator = new JudgmentValidator(mapping, profile, LocalDate.now(clock));
        List<ValidatedRow> rows = new ArrayList<>(config.chunkRows());
        long dataRows = 0;
        while (csv.next()) {
          if (++dataRows > profile.maxRows()) {
            throw new FileRejectedException(ErrorCode.FILE_TOO_LARGE, csv.recordNumber(), "the file has more than "
                + profile.maxRows() + " data rows, the limit of its source profile; split it into smaller files");
          }
          rows.add(validator.validate(csv));
          if (rows.size() == config.chunkRows()) {
            put(chunkOf(rows));
            rows = new ArrayList<>(config.chunkRows());
          }
        }
        if (dataRows == 0) {
          throw new FileRejectedException(ErrorCode.EMPTY_FILE, null,
              "the file has a header but no data rows");
        }
        put(chunkOf(rows));
      } finally {
        // hash what was read even when rejected, so the batch records which content it judged
        sha256 = HexFormat.of().formatHex(digest.digest());
        bytesRead = limited.count();
      }
      put(Chunk.END);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      try {
        put(Chunk.failed(t));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Chunk chunkOf(List<ValidatedRow> rows) {
    List<ValidatedRow> toLoad = dropDuplicatesWithinChunk(rows);
    return new Chunk(rows, toLoad, JudgmentLoader.encodeForTarget(toLoad, ref.source(), claim.batchId()), null);
  }

  private void put(Chunk chunk) throws InterruptedException {
    while (!cancelled) {
      if (chunks.offer(chunk, 100, TimeUnit.MILLISECONDS)) return;
    }
    throw new InterruptedException("batch abandoned");
  }

  /**
   * The next chunk, checking the deadline while waiting for it: a read that stalls (or trickles)
   * must not keep the batch past the deadline; giving it back then closes the input under the
   * reader.
   */
  private Chunk take() throws IOException {
    try {
      while (true) {
        Chunk chunk = chunks.poll(100, TimeUnit.MILLISECONDS);
        if (chunk != null) return chunk;
        checkDeadline();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the file", e);
    }
  }

  private static RuntimeException rethrow(Throwable failure) throws IOException {
    if (failure instanceof FileRejectedException f) throw f;
    if (failure instanceof IOException io) throw io;
    if (failure instanceof RuntimeException r) throw r;
    if (failure instanceof Error err) throw err;
    throw new IOException(failure);
  }

  private static void rollbackQuietly(Connection load) {
    if (load == null) return;
    try {
      load.rollback();
    } catch (SQLException ignored) {
      // the connection is broken; closing it ends the transaction anyway
    }
  }

  private static void closeQuietly(InputStream input) {
    if (input == null) return;
    try {
      input.close();
    } catch (IOException ignored) {
      // nothing more is read from it
    }
  }

  private static void closeQuietly(Connection load) {
    if (load == null) return;
    try {
      load.close();
    } catch (SQLException ignored) {
      // broken already: the server ended its transaction with it
    }
  }
}
