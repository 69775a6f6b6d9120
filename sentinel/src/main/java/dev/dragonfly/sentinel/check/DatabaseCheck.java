package dev.dragonfly.sentinel.check;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;

/**
 * {@code database} (runbooks/database.md): connections against {@code max_connections}
 * (warning and critical percentages), sessions of the intake database idle in a transaction
 * longer than a limit, and lock waits longer than a limit, naming the waiting and blocking
 * sessions by application name and pid. Query text is never read: it can hold parameters.
 * Ages are measured against the pass's clock, so tests move time instead of holding sessions.
 */
public final class DatabaseCheck implements Check {
  public static final String NAME = "database";

  /** Connection shares in percent; the two durations after which a session is reported. */
  public record Thresholds(int connectionsWarningPercent, int connectionsCriticalPercent, Duration idleInTransaction,
                           Duration lockWait) {}

  private final Jdbi jdbi;
  private final Thresholds thresholds;

  public DatabaseCheck(Jdbi jdbi, Thresholds thresholds) {
    this.jdbi = jdbi;
    this.thresholds = thresholds;
  }

  @Override public String name() {
    return NAME;
  }

  private record Connections(int used, int max) {
    int percent() {
      return max == 0 ? 0 : (int) Math.round(100.0 * used / max);
    }
  }

  private record Session(int pid, String application, String user, OffsetDateTime since) {}

  private record LockWait(int pid, String application, OffsetDateTime since, int blockingPid, String blockingApplication,
                          String blockingState) {}

  @Override public CheckResult run(Instant now) {
    // One connection for the three views: opening a connection costs more than the three queries.
    return jdbi.withHandle(h -> {
      Connections connections = h.createQuery("""
              SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS used,
                     current_setting('max_connections')::int AS max""")
          .map((rs, ctx) -> new Connections(rs.getInt("used"), rs.getInt("max"))).one();
      List<Session> idle = h.createQuery("""
              SELECT pid, coalesce(nullif(application_name, ''), '(no application name)') AS application,
                     usename, state_change
              FROM pg_stat_activity
              WHERE datname = current_database() AND state IN ('idle in transaction', 'idle in transaction (aborted)')
                AND state_change < :horizon
              ORDER BY state_change LIMIT 10""")
          .bind("horizon", now.minus(thresholds.idleInTransaction()))
          .map((rs, ctx) -> new Session(rs.getInt("pid"), rs.getString("application"), rs.getString("usename"),
              rs.getObject("state_change", OffsetDateTime.class)))
          .list();
      List<LockWait> waits = h.createQuery("""
              SELECT w.pid, coalesce(nullif(w.application_name, ''), '(no application name)') AS application,
                     l.waitstart, b.pid AS blocking_pid,
                     coalesce(nullif(b.application_name, ''), '(no application name)') AS blocking_application,
                     b.state AS blocking_state
              FROM pg_locks l
              JOIN pg_stat_activity w ON w.pid = l.pid
              CROSS JOIN LATERAL unnest(pg_blocking_pids(l.pid)) AS blocker(pid)
              JOIN pg_stat_activity b ON b.pid = blocker.pid
              WHERE NOT l.granted AND w.datname = current_database() AND l.waitstart < :horizon
              ORDER BY l.waitstart LIMIT 10""")
          .bind("horizon", now.minus(thresholds.lockWait()))
          .map((rs, ctx) -> new LockWait(rs.getInt("pid"), rs.getString("application"),
              rs.getObject("waitstart", OffsetDateTime.class), rs.getInt("blocking_pid"),
              rs.getString("blocking_application"), rs.getString("blocking_state")))
          .list();
      return verdict(now, connections, idle, waits);
    });
  }

  private CheckResult verdict(Instant now, Connections connections, List<Session> idle, List<LockWait> waits) {
    List<Finding> findings = new ArrayList<>();
    int percent = connections.percent();
    Status connectionStatus = percent >= thresholds.connectionsCriticalPercent() ? Status.CRITICAL
        : percent >= thresholds.connectionsWarningPercent() ? Status.WARNING : Status.OK;
    if (connectionStatus != Status.OK) {
      findings.add(new Finding("connections", connectionStatus, connections.used() + " of " + connections.max()
          + " connections in use (" + percent + "%); see which applications hold them in runbooks/database.md",
          Map.of("connections", connections.used(), "max_connections", connections.max(), "percent", percent)));
    }
    for (Session s : idle) {
      String age = StuckBatches.human(Duration.between(s.since().toInstant(), now));
      findings.add(new Finding("session " + s.pid(), Status.WARNING, "session " + s.pid() + " (" + s.application()
          + ") idle in a transaction for " + age, Map.of("pid", s.pid(), "application_name", s.application(),
          "user", s.user() == null ? "" : s.user(), "idle_since", s.since().toString())));
    }
    for (LockWait w : waits) {
      String age = StuckBatches.human(Duration.between(w.since().toInstant(), now));
      findings.add(new Finding("lock wait " + w.pid(), Status.WARNING, "session " + w.pid() + " (" + w.application()
          + ") waiting " + age + " for a lock held by session " + w.blockingPid() + " (" + w.blockingApplication()
          + ", " + w.blockingState() + ")", Map.of("pid", w.pid(), "application_name", w.application(),
          "waiting_since", w.since().toString(), "blocking_pid", w.blockingPid(),
          "blocking_application_name", w.blockingApplication(), "blocking_state", String.valueOf(w.blockingState()))));
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("connections", connections.used());
    details.put("max_connections", connections.max());
    details.put("connections_percent", percent);
    details.put("idle_in_transaction_limit_seconds", thresholds.idleInTransaction().toSeconds());
    details.put("lock_wait_limit_seconds", thresholds.lockWait().toSeconds());
    if (findings.isEmpty()) {
      return CheckResult.of(NAME, Status.OK, connections.used() + " of " + connections.max()
          + " connections in use; no long idle transactions or lock waits").withDetails(details);
    }
    return new CheckResult(NAME, CheckResult.worstOf(findings),
        findings.stream().map(Finding::summary).collect(Collectors.joining("; ")), details, findings, List.of());
  }
}
