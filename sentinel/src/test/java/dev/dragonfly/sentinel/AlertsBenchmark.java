package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Fixtures;
import dev.dragonfly.sentinel.alert.Alerts;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What alerts add to a pass (README "Benchmark: alerts"), run by bench/alerts-pass.sh: the time
 * of the alerts step alone with no incidents, with 100 open incidents that need no message, and
 * with 100 open incidents reminded (one Slack update, one reply, one SNS publish), against a
 * whole sentinel pass of every check over the same database. Embedded PostgreSQL, Slack and SNS
 * on local stand-ins; the clock moves a minute a pass.
 */
public final class AlertsBenchmark {
  private AlertsBenchmark() {}

  public static void main(String[] args) throws Exception {
    int passes = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    try (AlertFixture f = new AlertFixture()) {
      var env = f.botEnv();
      SentinelConfig config = SentinelConfig.fromEnv(env);
      try (SentinelFactory.Built built = SentinelFactory.build(config, f.db, f.clock,
          new SentinelFactory.Clients(Optional.empty(), Optional.of(f.snsClient), config.alerts().slackToken()), f.sleeper);
           Alerts alerts = f.alerts(env)) {
        String[] subjects = new String[100];
        for (int i = 0; i < subjects.length; i++) subjects[i] = "batch " + (1000 + i);
        List<CheckResult> healthy = List.of(result("stuck_batches", Status.OK), result("error_spike", Status.OK),
            result("schema_cache", Status.OK), result("lost_events", Status.OK), result("database", Status.OK),
            result("self", Status.OK));
        List<CheckResult> hundred = new ArrayList<>(healthy);
        hundred.set(0, AlertFixture.result("stuck_batches", Status.CRITICAL, subjects));

        report("whole pass, every check, alerts included, no incidents", passes, () -> {
          built.sentinel().runOnce(f.clock.instant());
          return null;
        }, f);
        report("alerts step, no incidents", passes, () -> alerts.process(healthy, f.clock.instant()), f);
        alerts.process(hundred, f.clock.instant()); // opens them: one grouped message
        report("alerts step, 100 open incidents, nothing to send", passes, () -> alerts.process(hundred, f.clock.instant()), f);
        f.slack.slow(0);
        int before = f.slack.taken().size();
        report("alerts step, 100 open incidents reminded (1 update + 1 reply + 1 SNS)", Math.max(passes / 10, 5), () -> {
          f.clock.advance(Duration.ofHours(1));
          return alerts.process(hundred, f.clock.instant());
        }, f);
        System.out.printf(Locale.ROOT, "Slack calls during the reminders: %d%n", f.slack.taken().size() - before);
      }
    }
  }

  private static CheckResult result(String check, Status status) {
    return AlertFixture.result(check, status);
  }

  private static void report(String what, int passes, Supplier<Object> pass, AlertFixture f) {
    for (int i = 0; i < 20; i++) { // warm-up: class loading and JIT, as in a daemon's first minutes
      pass.get();
      f.clock.advance(Duration.ofMinutes(1));
    }
    double[] ms = new double[passes];
    for (int i = 0; i < passes; i++) {
      long t = System.nanoTime();
      pass.get();
      ms[i] = (System.nanoTime() - t) / 1e6;
      f.clock.advance(Duration.ofMinutes(1));
    }
    Arrays.sort(ms);
    System.out.printf(Locale.ROOT, "%-75s median %6.2f ms  p95 %6.2f ms  (%d passes)%n", what, ms[passes / 2],
        ms[(int) Math.min(passes - 1, Math.round(passes * 0.95))], passes);
  }

  static {
    // keep the benchmark's own output readable: the clock starts where the fixtures' does
    Fixtures.CLOCK.instant();
  }
}
