package dev.dragonfly.sentinel;

import dev.dragonfly.intake.TransientFailures;
import dev.dragonfly.sentinel.alert.AlertSummary;
import dev.dragonfly.sentinel.alert.Alerts;
import dev.dragonfly.sentinel.check.Check;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.PassHistory;
import dev.dragonfly.sentinel.check.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One pass of every check. The checks run side by side, each with its own time limit, each
 * isolated: one that throws or does not finish in time becomes an {@code unknown} result of its
 * own and the others still report. Each limit counts from the start of the pass, so a pass lasts
 * about its longest limit, however many checks hang. The {@code self} check runs last, seeing the
 * others' statuses. Time is the {@code now} each pass is given, so tests move it instead of
 * sleeping.
 *
 * <p>A check's thread is not freed by giving up on it (an interrupt does not end a JDBC read;
 * the database's statement timeout does, see {@link CheckConnections}). So a check runs once at
 * a time: while its run of an earlier pass is still going, the pass reports it {@code unknown}
 * without starting another, and the threads stay at one per check.
 */
public final class Sentinel implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Sentinel.class);

  private final List<Check> checks;
  private final Check self;
  private final Duration timeLimit;
  private final Map<String, Duration> timeLimits;
  private final PassHistory history;
  private final Optional<DeadMansSwitch> deadMansSwitch;
  private final String instance;
  private final Optional<Alerts> alerts;
  private final ThreadPoolExecutor pool;
  /** Each check's latest run, and the pass that started it: a check still running is not started again. */
  private final Map<Check, Running> latest = new ConcurrentHashMap<>();

  /** One run of a check: over when its code has returned, or when it was called off before it began. */
  private static final class Running {
    final Instant pass;
    final AtomicBoolean began = new AtomicBoolean();
    final AtomicBoolean returned = new AtomicBoolean();
    Future<CheckResult> future;

    Running(Instant pass) {
      this.pass = pass;
    }

    /** Not {@code future.isDone()}: a cancelled future is done while its thread may still be in a JDBC read. */
    boolean over() {
      return returned.get() || (future.isCancelled() && !began.get());
    }
  }

  /**
   * @param checks     run side by side
   * @param self       run after them (it reads their statuses from {@code history})
   * @param timeLimit  each check's limit unless {@code timeLimits} names its own
   */
  Sentinel(List<Check> checks, Check self, Duration timeLimit, Map<String, Duration> timeLimits, PassHistory history,
           Optional<DeadMansSwitch> deadMansSwitch, String instance, Optional<Alerts> alerts) {
    this.checks = List.copyOf(checks);
    this.self = self;
    this.timeLimit = timeLimit;
    this.timeLimits = Map.copyOf(timeLimits);
    this.history = history;
    this.deadMansSwitch = deadMansSwitch;
    this.instance = instance;
    this.alerts = alerts;
    int threads = checks.size() + 1; // one per check and self: none runs twice at once
    this.pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "sentinel-check");
      t.setDaemon(true); // a check stuck in I/O past its limit must not keep the process alive
      return t;
    });
    pool.allowCoreThreadTimeOut(true);
  }

  public String instance() {
    return instance;
  }

  public Report runOnce(Instant now) {
    long started = System.nanoTime();
    Map<Check, Optional<Future<CheckResult>>> running = new LinkedHashMap<>();
    for (Check c : checks) running.put(c, start(c, now));
    List<CheckResult> results = new ArrayList<>();
    running.forEach((check, future) -> results.add(future.map(f -> await(check, f, started)).orElseGet(() -> stillRunning(check))));

    Map<String, Status> statuses = new LinkedHashMap<>();
    results.forEach(r -> statuses.put(r.check(), r.status()));
    history.current(statuses);
    long selfStarted = System.nanoTime();
    results.add(start(self, now).map(f -> await(self, f, selfStarted)).orElseGet(() -> stillRunning(self)));

    Status status = Status.worst(results.stream().map(CheckResult::status).toList());
    history.record(now, results, instance);
    AlertSummary alerted = alerts.map(a -> alert(a, results, now)).orElse(null);
    // after the alerts: a pass whose alerts could not be recorded or sent pings /fail too
    String ping = deadMansSwitch.map(d -> d.ping(status, PassTrouble.of(status, results, alerted))).orElse(null);
    Report report = new Report(Report.SCHEMA_VERSION, instance, now,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), status, results, ping, alerted);
    results.forEach(Sentinel::log);
    return report;
  }

  /** Alerts never end a pass: a failure of theirs is a line of the report and of the log. */
  private static AlertSummary alert(Alerts alerts, List<CheckResult> results, Instant now) {
    try {
      return alerts.process(results, now);
    } catch (RuntimeException e) {
      log.error("alerts failed: {}", TransientFailures.describe(e), e);
      return AlertSummary.failed("alerts failed: " + TransientFailures.describe(e));
    }
  }

  /** Starts {@code check} unless its run of an earlier pass is still going. */
  private Optional<Future<CheckResult>> start(Check check, Instant now) {
    Running before = latest.get(check);
    if (before != null && !before.over()) return Optional.empty();
    Running run = new Running(now);
    run.future = pool.submit(() -> {
      run.began.set(true);
      try {
        return check.run(now);
      } finally {
        run.returned.set(true);
      }
    });
    latest.put(check, run);
    return Optional.of(run.future);
  }

  private CheckResult stillRunning(Check check) {
    Duration limit = timeLimits.getOrDefault(check.name(), timeLimit);
    return CheckResult.of(check.name(), Status.UNKNOWN, "still running since the pass at " + latest.get(check).pass
        + ", which it did not finish within " + limit.toMillis() + " ms; not started again");
  }

  private CheckResult await(Check check, Future<CheckResult> future, long startedNanos) {
    Duration limit = timeLimits.getOrDefault(check.name(), timeLimit);
    long left = limit.toNanos() - (System.nanoTime() - startedNanos);
    try {
      CheckResult result = future.get(Math.max(left, 0), TimeUnit.NANOSECONDS);
      if (result == null || !result.check().equals(check.name())) {
        return CheckResult.of(check.name(), Status.UNKNOWN, "the check returned no result of its own");
      }
      return result;
    } catch (TimeoutException e) {
      future.cancel(true);
      return CheckResult.of(check.name(), Status.UNKNOWN, "did not finish within " + limit.toMillis() + " ms");
    } catch (ExecutionException e) {
      return CheckResult.of(check.name(), Status.UNKNOWN, "could not run: " + TransientFailures.describe(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.cancel(true);
      return CheckResult.of(check.name(), Status.UNKNOWN, "interrupted");
    }
  }

  /** Every finding is a log line as well as a result: warnings and worse at WARN, the rest at INFO. */
  private static void log(CheckResult r) {
    try (var check = MDC.putCloseable("check", r.check()); var status = MDC.putCloseable("status", r.status().label())) {
      if (r.status() == Status.UNKNOWN || r.status().atLeast(Status.WARNING)) log.warn("{} {}: {}", r.status().label(), r.check(), r.summary());
      else log.info("{} {}: {}", r.status().label(), r.check(), r.summary());
    }
  }

  @Override public void close() {
    pool.shutdownNow();
    alerts.ifPresent(Alerts::close);
  }
}
