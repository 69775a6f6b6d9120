package dev.dragonfly.sentinel.check;

import dev.dragonfly.intake.Batch;
import dev.dragonfly.intake.TransientFailures;
import dev.dragonfly.sentinel.heal.Audit;
import dev.dragonfly.sentinel.heal.Redriver;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;

/**
 * {@code stuck_batches} (runbooks/stuck-batches.md): a batch in a processing state whose
 * heartbeat has been silent longer than the claim's stale window, or one left {@code uploaded}
 * that nobody claimed within that window. Heal: give it back and re-drive it, at most
 * {@code maxRedrives} times; the next time it is stuck, force-fail it with a reason naming the
 * re-drives. A dry run's dead worker is not re-driven (a dry run holds no claim): it is failed
 * and the vendor runs it again.
 *
 * <p>Each heal is one conditional UPDATE on the state this pass saw (status, attempt,
 * re-drive count, still silent), committed with its audit row: of two sentinels, or a sentinel
 * and a worker coming back to life, exactly one wins, and the loser changes nothing.
 */
public final class StuckBatches implements Check {
  public static final String NAME = "stuck_batches";
  /** How long a force-failed batch that nobody re-ingested stays a CRITICAL finding. */
  static final Duration FORCE_FAILED_SHOWN_FOR = Duration.ofHours(24);
  /** How a force-fail's rejection reason starts, so later passes know the batch for one. */
  private static final String FORCE_FAIL_REASON = "stuck: re-driven ";
  /** Bounded work per pass; the rest are found by the next pass. */
  static final int LIMIT_PER_PASS = 50;

  private final Jdbi jdbi;
  private final Duration staleAfter;
  private final int maxRedrives;
  private final Redriver redriver;
  private final Audit audit;

  public StuckBatches(Jdbi jdbi, Duration staleAfter, int maxRedrives, Redriver redriver, Audit audit) {
    this.jdbi = jdbi;
    this.staleAfter = staleAfter;
    this.maxRedrives = maxRedrives;
    this.redriver = redriver;
    this.audit = audit;
  }

  @Override public String name() {
    return NAME;
  }

  @Override public CheckResult run(Instant now) {
    Instant horizon = now.minus(staleAfter);
    List<Batch> stuck = jdbi.withHandle(h -> h.createQuery("SELECT " + Batch.COLUMNS + """
             FROM intake.batches
            WHERE status IN ('staging', 'validating', 'inserting') AND heartbeat_at < :horizon
            UNION ALL
            SELECT""" + " " + Batch.COLUMNS + """
             FROM intake.batches
            WHERE status = 'uploaded' AND released_at < :horizon
            ORDER BY id
            LIMIT :limit""")
        .bind("horizon", horizon).bind("limit", LIMIT_PER_PASS)
        .mapTo(Batch.class).list());

    List<Finding> findings = new ArrayList<>();
    List<Action> actions = new ArrayList<>();
    for (Batch batch : stuck) {
      if (redriver.inFlight(batch.id())) continue; // queued behind another re-drive in this process: not stuck
      heal(batch, now, horizon).ifPresent(outcome -> {
        findings.add(outcome.finding());
        outcome.action().ifPresent(actions::add);
      });
    }
    stillForceFailed(now, findings);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("stale_after_seconds", staleAfter.toSeconds());
    details.put("max_redrives", maxRedrives);
    details.put("redrive_path", redriver.describe());
    if (findings.isEmpty()) {
      return CheckResult.of(NAME, Status.OK, "no stuck batches (stale window " + human(staleAfter) + ")")
          .withDetails(details);
    }
    String summary = findings.stream().map(Finding::summary).collect(Collectors.joining("; "));
    return new CheckResult(NAME, CheckResult.worstOf(findings), summary, details, findings, actions);
  }

  private record Outcome(Finding finding, Optional<Action> action) {}

  /**
   * A batch this check force-failed stays a CRITICAL finding while it is still failed, for up to
   * {@link #FORCE_FAILED_SHOWN_FOR}: its rows are not loaded, so its incident must not resolve
   * the moment the batch stopped being stuck. A re-ingest ends it (a new attempt clears the
   * rejection reason); so does a silence of its subject, for the alert.
   */
  private void stillForceFailed(Instant now, List<Finding> findings) {
    java.util.Set<String> seen = findings.stream().map(Finding::subject).collect(Collectors.toSet());
    jdbi.withHandle(h -> h.createQuery("""
            SELECT id, finished_at FROM intake.batches
             WHERE NOT dry_run AND status = 'failed' AND finished_at >= :since AND rejection_reason LIKE :forceFailed
             ORDER BY id LIMIT :limit""")
        .bind("since", now.minus(FORCE_FAILED_SHOWN_FOR)).bind("forceFailed", FORCE_FAIL_REASON + "%")
        .bind("limit", LIMIT_PER_PASS)
        .map((rs, ctx) -> Map.entry(rs.getLong("id"), rs.getObject("finished_at", OffsetDateTime.class)))
        .list())
        .stream().filter(b -> !seen.contains("batch " + b.getKey())).forEach(b -> {
          Map<String, Object> facts = new LinkedHashMap<>();
          facts.put("batch_id", b.getKey());
          facts.put("force_failed_at", b.getValue().withOffsetSameInstant(ZoneOffset.UTC).toString());
          findings.add(new Finding("batch " + b.getKey(), Status.CRITICAL, "batch " + b.getKey() + " was force-failed at "
              + b.getValue().withOffsetSameInstant(ZoneOffset.UTC) + " and is still failed: its rows are not loaded; fix the "
              + "cause, then run 'sentinel batch reingest " + b.getKey() + " --reason R'", facts));
        });
  }

  private Optional<Outcome> heal(Batch batch, Instant now, Instant horizon) {
    String before = describe(batch, now);
    Map<String, Object> facts = facts(batch, now);
    String subject = "batch " + batch.id();
    if (batch.dryRun()) {
      String reason = "the dry run's worker stopped (" + before + "); run the dry run again";
      Action action = new Action(subject, "abandon_dry_run", before, "failed");
      if (!failIfUnchanged(batch, horizon, reason, action, now)) return Optional.empty();
      return Optional.of(new Outcome(new Finding(subject, Status.WARNING, "dry-run batch " + batch.id()
          + " abandoned (" + before + ")", facts), Optional.of(action)));
    }
    if (batch.redrives() >= maxRedrives) return forceFail(batch, before, facts, now, horizon);
    Optional<String> cannot = redriver.cannotRedrive(batch);
    if (cannot.isPresent()) {
      return Optional.of(new Outcome(new Finding(subject, Status.CRITICAL, "batch " + batch.id() + " is stuck ("
          + before + ") and cannot be re-driven here: " + cannot.get()
          + "; run 'sentinel batch reingest " + batch.id() + " --file FILE --reason R'", facts), Optional.empty()));
    }
    int redrive = batch.redrives() + 1;
    String after = "uploaded, re-drive " + redrive + " of " + maxRedrives + " (" + redriver.describe() + ")";
    Action action = new Action(subject, "redrive", before, after);
    // Given back, audited and handed off in one transaction: if the hand-off fails (topic
    // unreachable), nothing changed and the next pass tries again without using up a re-drive.
    boolean healed;
    try {
      healed = jdbi.inTransaction(h -> {
        if (!update(h, batch, horizon, """
                UPDATE intake.batches
                SET status = 'uploaded', owner_token = NULL, released_at = :now, redrives = redrives + 1,
                    released_by = :releasedBy,
                    last_error = :reason""", "the sentinel re-drove it (" + before + ")", now,
            "sentinel " + audit.instance())) return false;
        audit.record(h, now, NAME, action, null);
        redriver.redrive(batch);
        return true;
      });
    } catch (RuntimeException e) {
      return Optional.of(new Outcome(new Finding(subject, Status.WARNING, "batch " + batch.id() + " is stuck (" + before
          + ") and its re-drive could not be sent (" + TransientFailures.describe(e) + "); the next pass tries again",
          facts), Optional.empty()));
    }
    if (!healed) return Optional.empty(); // another sentinel, or the worker itself, got there first
    facts.put("redrive", redrive);
    return Optional.of(new Outcome(new Finding(subject, Status.WARNING, "batch " + batch.id() + " re-driven (" + before
        + "), re-drive " + redrive + " of " + maxRedrives, facts), Optional.of(action)));
  }

  private Optional<Outcome> forceFail(Batch batch, String before, Map<String, Object> facts, Instant now, Instant horizon) {
    String subject = "batch " + batch.id();
    List<OffsetDateTime> redrives = jdbi.withHandle(h -> h.createQuery("""
            SELECT at FROM (SELECT at FROM intake.sentinel_audit
                            WHERE check_name = :check AND subject = :subject AND action = 'redrive'
                            ORDER BY at DESC LIMIT :n) latest
            ORDER BY at""")
        .bind("check", NAME).bind("subject", subject).bind("n", batch.redrives())
        .mapTo(OffsetDateTime.class).list());
    String when = redrives.stream().map(t -> t.withOffsetSameInstant(ZoneOffset.UTC).toString())
        .collect(Collectors.joining(", "));
    String reason = FORCE_FAIL_REASON + batch.redrives() + " time(s) by the sentinel" + (when.isEmpty() ? "" : " (at " + when + ")")
        + " and still not finished (" + before + ")" + (batch.lastError() == null ? "" : "; last error: " + batch.lastError())
        + "; fix the cause, then run 'sentinel batch reingest " + batch.id() + " --reason R'";
    Action action = new Action(subject, "force_fail", before, "failed");
    boolean failed = failIfUnchanged(batch, horizon, reason, action, now);
    if (!failed) return Optional.empty();
    facts.put("redrives", batch.redrives());
    return Optional.of(new Outcome(new Finding(subject, Status.CRITICAL, "batch " + batch.id() + " force-failed after "
        + batch.redrives() + " re-drives (" + before + "); see 'sentinel batch show " + batch.id() + "'", facts),
        Optional.of(action)));
  }

  /** Applies {@code set} only if the batch is still as this pass saw it, and still stuck. */
  private static boolean update(Handle h, Batch seen, Instant horizon, String set, String reason, Instant now) {
    return update(h, seen, horizon, set, reason, now, null);
  }

  /** {@code releasedBy}: bound as {@code :releasedBy} when {@code set} gives the batch back. */
  private static boolean update(Handle h, Batch seen, Instant horizon, String set, String reason, Instant now,
                                String releasedBy) {
    var update = h.createUpdate(set + """

            WHERE id = :id AND status = :status AND attempt = :attempt AND redrives = :redrives
              AND ((status IN ('staging', 'validating', 'inserting') AND heartbeat_at < :horizon)
                   OR (status = 'uploaded' AND released_at < :horizon))""")
        .bind("now", now).bind("reason", reason).bind("id", seen.id()).bind("status", seen.status())
        .bind("attempt", seen.attempt()).bind("redrives", seen.redrives()).bind("horizon", horizon);
    if (releasedBy != null) update.bind("releasedBy", releasedBy);
    return update.execute() == 1;
  }

  private boolean failIfUnchanged(Batch batch, Instant horizon, String reason, Action action, Instant now) {
    return jdbi.inTransaction(h -> {
      if (!update(h, batch, horizon, """
              UPDATE intake.batches
              SET status = 'failed', owner_token = NULL, finished_at = :now, rejection_reason = :reason""", reason, now)) {
        return false;
      }
      audit.record(h, now, NAME, action, reason);
      return true;
    });
  }

  private static String describe(Batch batch, Instant now) {
    if (batch.status().equals("uploaded")) {
      return "uploaded and unclaimed for " + human(Duration.between(batch.releasedAt().toInstant(), now));
    }
    return batch.status() + ", attempt " + batch.attempt() + ", heartbeat silent for "
        + human(Duration.between(batch.heartbeatAt().toInstant(), now));
  }

  private static Map<String, Object> facts(Batch batch, Instant now) {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("batch_id", batch.id());
    facts.put("source", batch.source());
    facts.put("object_key", batch.objectKey());
    facts.put("status", batch.status());
    facts.put("attempt", batch.attempt());
    facts.put("redrives_before", batch.redrives());
    OffsetDateTime since = batch.status().equals("uploaded") ? batch.releasedAt() : batch.heartbeatAt();
    facts.put("silent_seconds", Duration.between(since.toInstant(), now).toSeconds());
    return facts;
  }

  static String human(Duration d) {
    long s = (d.toMillis() + 500) / 1000; // to the nearest second: 45.998 s of silence reads 46 s
    if (s < 120) return s + " s";
    if (s < 7200) return (s / 60) + " min";
    return (s / 3600) + " h " + (s % 3600 / 60) + " min";
  }
}
