package dev.dragonfly.sentinel.alert;

import dev.dragonfly.intake.Json;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Finding;
import dev.dragonfly.sentinel.check.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * The incident state machine, run once per pass inside the alerts transaction: a finding that is
 * not ok opens an incident (or keeps one open), an open incident with no finding counts ok
 * passes until it resolves, and each step says whether it is to be announced ({@link Change}).
 *
 * <p>Only checks that ran count: a check that is {@code unknown} or {@code skipped} this pass
 * says nothing about its subjects, so their incidents neither resolve nor change.
 */
final class Incidents {
  /**
   * @param repeat      an unchanged open incident is announced again after this long
   * @param clearPasses ok passes in a row that resolve an incident
   * @param flapWindow  an incident that comes back within this long of resolving is reopened as
   *                    flapping, and resolves again only after this long without a finding
   */
  record Policy(Duration repeat, int clearPasses, Duration flapWindow) {}

  /**
   * An incident after this pass, and what (if anything) to announce about it. {@code seen} is
   * false for an open incident whose check did not run this pass: listed, left as it was.
   */
  record Step(Incident incident, Change change, Optional<Silences.Silence> silence, boolean seen) {
    Step(Incident incident, Change change, Optional<Silences.Silence> silence) {
      this(incident, change, silence, true);
    }

    boolean announced() {
      return change != Change.NONE;
    }

    Step announcedTo(Instant now, Set<String> routes) {
      return new Step(Incidents.announced(incident, now, routes), change, silence, seen);
    }
  }

  /** The subject of a finding about a check as a whole (a check not ok without findings of its own). */
  static final String WHOLE_CHECK = "check";

  private Incidents() {}

  static List<Step> evaluate(Handle h, List<CheckResult> results, Instant now, Policy policy, List<Silences.Silence> silences) {
    Map<String, Incident> open = new HashMap<>();
    h.createQuery("SELECT " + Incident.COLUMNS + " FROM intake.alert_incidents WHERE status = 'open' FOR UPDATE")
        .map((rs, ctx) -> Incident.map(rs)).forEach(i -> open.put(i.key(), i));

    List<Step> steps = new ArrayList<>();
    for (CheckResult result : results) {
      if (result.status() == Status.UNKNOWN || result.status() == Status.SKIPPED) continue;
      Map<String, Finding> bad = badFindings(result);
      for (Finding f : bad.values()) {
        Optional<Silences.Silence> silence = Silences.matching(silences, result.check(), f.subject());
        Incident existing = open.remove(result.check() + " " + f.subject());
        steps.add(existing != null ? stillBad(existing, f, now, policy, silence)
            : reopenOrOpen(h, result.check(), f, now, policy, silence));
      }
      open.values().stream().filter(i -> i.check().equals(result.check())).toList().forEach(i -> {
        open.remove(i.key());
        steps.add(ok(i, now, policy, Silences.matching(silences, i.check(), i.subject())));
      });
    }
    open.values().forEach(i -> steps.add(new Step(i, Change.NONE, Optional.empty(), false)));
    return steps; // saved by the caller once it has marked what it announced
  }

  /** Findings that are warning or critical, by subject; a bad check without findings is one about itself. */
  private static Map<String, Finding> badFindings(CheckResult result) {
    Map<String, Finding> bad = new LinkedHashMap<>();
    for (Finding f : result.findings()) {
      if (f.status() != Status.WARNING && f.status() != Status.CRITICAL) continue;
      Finding before = bad.get(f.subject());
      if (before == null || f.status().atLeast(before.status())) bad.put(f.subject(), f);
    }
    if (bad.isEmpty() && (result.status() == Status.WARNING || result.status() == Status.CRITICAL)) {
      bad.put(WHOLE_CHECK, new Finding(WHOLE_CHECK, result.status(), result.summary(), Map.of()));
    }
    return bad;
  }

  private static Step stillBad(Incident i, Finding f, Instant now, Policy policy, Optional<Silences.Silence> silence) {
    Change change;
    if (silence.isPresent()) change = Change.NONE;
    else if (i.notifiedAt() == null) change = Change.OPENED;
    else if (!i.notifiedSeverity().atLeast(f.status())) change = Change.WORSE;
    else if (i.notifiedSeverity() != f.status()) change = Change.BETTER;
    else if (!now.isBefore(i.notifiedAt().plus(policy.repeat()))) change = Change.REMINDER;
    else change = Change.NONE;
    return new Step(bad(i, f, now, silence), change, silence);
  }

  private static Step reopenOrOpen(Handle h, String check, Finding f, Instant now, Policy policy,
                                   Optional<Silences.Silence> silence) {
    Optional<Incident> recent = policy.flapWindow().isZero() ? Optional.empty() : h.createQuery("SELECT " + Incident.COLUMNS + """
             FROM intake.alert_incidents
            WHERE status = 'resolved' AND check_name = :check AND subject = :subject AND resolved_at >= :since
            ORDER BY resolved_at DESC LIMIT 1 FOR UPDATE""")
        .bind("check", check).bind("subject", f.subject()).bind("since", now.minus(policy.flapWindow()))
        .map((rs, ctx) -> Incident.map(rs)).findOne();
    if (recent.isPresent()) {
      Incident r = recent.get();
      Incident reopened = new Incident(r.id(), check, f.subject(), true, f.status(), f.summary(), f.facts(), r.openedAt(),
          now, 0, null, r.notifiedAt(), r.notifiedSeverity(), r.routes(), r.reopened() + 1, true, silenceId(silence));
      // Said once per episode: while it stays open its changes are stillBad's, and it resolves
      // (and stops flapping) only once it settled for the whole flap window.
      return new Step(reopened, silence.isPresent() ? Change.NONE : Change.FLAPPING, silence);
    }
    long id = h.createUpdate("""
            INSERT INTO intake.alert_incidents (check_name, subject, status, severity, summary, facts, opened_at, last_bad_at)
            VALUES (:check, :subject, 'open', :severity, :summary, CAST(:facts AS jsonb), :now, :now)""")
        .bind("check", check).bind("subject", f.subject()).bind("severity", f.status().label())
        .bind("summary", f.summary()).bind("facts", Json.write(f.facts())).bind("now", now)
        .executeAndReturnGeneratedKeys("id").mapTo(Long.class).one();
    Incident opened = new Incident(id, check, f.subject(), true, f.status(), f.summary(), f.facts(), now, now, 0, null,
        null, null, Set.of(), 0, false, silenceId(silence));
    return new Step(opened, silence.isPresent() ? Change.NONE : Change.OPENED, silence);
  }

  private static Step ok(Incident i, Instant now, Policy policy, Optional<Silences.Silence> silence) {
    int okPasses = i.okPasses() + 1;
    boolean settled = !i.flapping() || !now.isBefore(i.lastBadAt().plus(policy.flapWindow()));
    if (okPasses < policy.clearPasses() || !settled) {
      return new Step(with(i, true, okPasses, null, i.flapping(), silence), Change.NONE, silence);
    }
    // Announced wherever it went, silence or not: the thread it opened gets its ending.
    Change change = i.notifiedAt() == null ? Change.NONE : Change.RESOLVED;
    return new Step(with(i, false, okPasses, now, false, silence), change, silence);
  }

  private static Incident bad(Incident i, Finding f, Instant now, Optional<Silences.Silence> silence) {
    return new Incident(i.id(), i.check(), i.subject(), true, f.status(), f.summary(), f.facts(), i.openedAt(), now, 0,
        null, i.notifiedAt(), i.notifiedSeverity(), i.routes(), i.reopened(), i.flapping(), silenceId(silence));
  }

  private static Incident with(Incident i, boolean open, int okPasses, Instant resolvedAt, boolean flapping,
                               Optional<Silences.Silence> silence) {
    return new Incident(i.id(), i.check(), i.subject(), open, i.severity(), i.summary(), i.facts(), i.openedAt(),
        i.lastBadAt(), okPasses, resolvedAt, i.notifiedAt(), i.notifiedSeverity(), i.routes(), i.reopened(), flapping,
        silenceId(silence));
  }

  private static Long silenceId(Optional<Silences.Silence> silence) {
    return silence.map(Silences.Silence::id).orElse(null);
  }

  /** The incident as announced at {@code now} to {@code routes} (added to where it went before). */
  static Incident announced(Incident i, Instant now, Set<String> routes) {
    Set<String> all = new LinkedHashSet<>(i.routes());
    all.addAll(routes);
    return new Incident(i.id(), i.check(), i.subject(), i.open(), i.severity(), i.summary(), i.facts(), i.openedAt(),
        i.lastBadAt(), i.okPasses(), i.resolvedAt(), now, i.severity(), all, i.reopened(), i.flapping(), i.silenceId());
  }

  /** Writes every step's incident, in one batch. */
  static void save(Handle h, List<Step> steps) {
    PreparedBatch batch = h.prepareBatch("""
        UPDATE intake.alert_incidents
           SET status = :status, severity = :severity, summary = :summary, facts = CAST(:facts AS jsonb),
               last_bad_at = :lastBadAt, ok_passes = :okPasses, resolved_at = :resolvedAt, notified_at = :notifiedAt,
               notified_severity = :notifiedSeverity, routes = :routes, reopened = :reopened, flapping = :flapping,
               silence_id = :silenceId
         WHERE id = :id""");
    boolean any = false;
    for (Step s : steps) {
      if (!s.seen()) continue;
      any = true;
      Incident i = s.incident();
      batch.bind("status", i.open() ? "open" : "resolved").bind("severity", i.severity().label())
          .bind("summary", i.summary()).bind("facts", Json.write(i.facts())).bind("lastBadAt", i.lastBadAt())
          .bind("okPasses", i.okPasses()).bind("resolvedAt", i.resolvedAt()).bind("notifiedAt", i.notifiedAt())
          .bind("notifiedSeverity", i.notifiedSeverity() == null ? null : i.notifiedSeverity().label())
          .bind("routes", i.routes().toArray(String[]::new)).bind("reopened", i.reopened())
          .bind("flapping", i.flapping()).bind("silenceId", i.silenceId()).bind("id", i.id())
          .add();
    }
    if (any) batch.execute();
  }
}
