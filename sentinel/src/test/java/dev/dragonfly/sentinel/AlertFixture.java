package dev.dragonfly.sentinel;

import dev.dragonfly.functions.LocalS3;
import dev.dragonfly.functions.SnsFake;
import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Fixtures;
import dev.dragonfly.intake.MutableClock;
import dev.dragonfly.intake.TestDatabase;
import dev.dragonfly.sentinel.alert.AlertSummary;
import dev.dragonfly.sentinel.alert.Alerts;
import dev.dragonfly.sentinel.alert.Sleeper;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Finding;
import dev.dragonfly.sentinel.check.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * Alerts over a fresh embedded database, Slack on a {@link SlackStandIn} behind the real
 * slack-api-client and SNS on the {@link SnsFake} behind the real SDK client, on a clock the
 * test moves: a wait (between messages, after a 429) moves the clock and is recorded.
 */
final class AlertFixture implements AutoCloseable {
  static final String TOPIC = "arn:aws:sns:us-east-1:000000000000:intake-alerts";
  static final String RUNBOOKS = "https://runbooks.example.com/dragonfly";

  final Database db = TestDatabase.fresh();
  static final java.time.Instant START = Fixtures.CLOCK.instant();
  final MutableClock clock = new MutableClock(START);
  final SlackStandIn slack = new SlackStandIn(clock);
  final SnsFake sns;
  final SnsClient snsClient;
  final List<Duration> waits = new CopyOnWriteArrayList<>();
  final Sleeper sleeper = d -> {
    waits.add(d);
    clock.advance(d);
  };

  AlertFixture() throws Exception {
    sns = new SnsFake();
    snsClient = LocalS3.sns(sns);
  }

  /** The environment of a sentinel with a bot token: critical and warnings to #alerts, CRITICAL to the topic. */
  Map<String, String> botEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("SENTINEL_INSTANCE", "sentinel-a");
    env.put("SLACK_BOT_TOKEN", "xoxb-test-token");
    env.put("SLACK_API_URL", slack.apiUrl());
    env.put("SLACK_ALERTS_CHANNEL", "#alerts");
    env.put("SLACK_WARNINGS_CHANNEL", "#alerts");
    env.put("RUNBOOK_BASE_URL", RUNBOOKS);
    env.put("ALERTS_TOPIC_ARN", TOPIC);
    return env;
  }

  Alerts alerts(Map<String, String> env) {
    SentinelConfig config = SentinelConfig.fromEnv(env);
    return Alerts.create(config.alerts(), db.jdbi(), config.instance(), config.alerts().slackToken(), Optional.of(snsClient),
        clock, sleeper);
  }

  /** One pass's alerts at the clock's time. */
  AlertSummary pass(Alerts alerts, CheckResult... results) {
    return alerts.process(List.of(results), clock.instant());
  }

  /** A check with findings of {@code status} for each subject (ok: none). */
  static CheckResult result(String check, Status status, String... subjects) {
    List<Finding> findings = new ArrayList<>();
    if (status != Status.OK) {
      for (String s : subjects) {
        findings.add(new Finding(s, status, s + " is stuck (staging, heartbeat silent for 2 min); see 'sentinel batch show "
            + s.replace("batch ", "") + "'", Map.of("batch", s.replace("batch ", ""), "status", "staging", "silent_seconds", 120)));
      }
    }
    return new CheckResult(check, status, status == Status.OK ? "all well" : findings.size() + " stuck", Map.of(), findings,
        List.of());
  }

  long count(String sql, Object... args) {
    return db.jdbi().withHandle(h -> {
      var q = h.createQuery(sql);
      for (int i = 0; i < args.length; i++) q.bind(i, args[i]);
      return q.mapTo(Long.class).one();
    });
  }

  @Override public void close() throws Exception {
    slack.close();
    sns.close();
    snsClient.close();
  }
}
