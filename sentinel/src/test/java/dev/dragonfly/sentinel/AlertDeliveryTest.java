package dev.dragonfly.sentinel;

import static dev.dragonfly.sentinel.AlertFixture.result;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.sentinel.alert.AlertSummary;
import dev.dragonfly.sentinel.alert.Alerts;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import okhttp3.mockwebserver.MockResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Delivery through Slack's and SNS's bad days: 429s, outages, restarts, a refused token, a slow Slack. */
class AlertDeliveryTest {
  private final AlertFixture f = new AlertFixture();

  AlertDeliveryTest() throws Exception {}

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  @Test
  void a429WithRetryAfterIsWaitedOutThenTheMessageIsSentOnce() {
    f.slack.thenAnswer(new MockResponse().setResponseCode(429).setHeader("Retry-After", "2").setBody("{\"ok\":false}"));
    try (Alerts alerts = f.alerts(f.botEnv())) {
      AlertSummary s = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1"));
      assertThat(s.pending()).isZero();
    }
    List<SlackStandIn.Call> calls = f.slack.calls();
    assertThat(calls).extracting(SlackStandIn.Call::status).containsExactly(429, 200);
    assertThat(f.waits).contains(Duration.ofSeconds(2));
    assertThat(Duration.between(calls.get(0).at(), calls.get(1).at())).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    assertThat(f.slack.posts()).isEqualTo(1);
  }

  @Test
  void aRetryAfterLongerThanThePassMayWaitIsHonouredOnALaterPass() {
    f.slack.thenAnswer(new MockResponse().setResponseCode(429).setHeader("Retry-After", "120").setBody("{\"ok\":false}"));
    try (Alerts alerts = f.alerts(f.botEnv())) {
      assertThat(f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1")).pending()).isEqualTo(1);
      f.clock.advance(Duration.ofSeconds(60));
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1"));
      assertThat(f.slack.calls()).hasSize(1); // not before Slack said
      f.clock.advance(Duration.ofSeconds(61));
      assertThat(f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1")).pending()).isZero();
    }
    assertThat(f.slack.calls()).extracting(SlackStandIn.Call::status).containsExactly(429, 200);
    assertThat(f.waits).doesNotContain(Duration.ofSeconds(120));
  }

  @Test
  void aStormOf5xxAcrossARestartThenRecoveryDeliversEveryAlertExactlyOnceInOrder() {
    f.slack.down(true);
    f.sns.down(true);
    List<CheckResult[]> outage = List.of(
        new CheckResult[] {result("stuck_batches", Status.CRITICAL, "batch 1")},
        new CheckResult[] {result("stuck_batches", Status.CRITICAL, "batch 1", "batch 2"), result("error_spike", Status.WARNING, "source acme")},
        new CheckResult[] {result("stuck_batches", Status.CRITICAL, "batch 2"), result("error_spike", Status.CRITICAL, "source acme")},
        new CheckResult[] {result("stuck_batches", Status.CRITICAL, "batch 2"), result("error_spike", Status.CRITICAL, "source acme")},
        new CheckResult[] {result("stuck_batches", Status.OK), result("error_spike", Status.CRITICAL, "source acme")},
        new CheckResult[] {result("stuck_batches", Status.OK), result("error_spike", Status.OK)});
    Alerts alerts = f.alerts(f.botEnv());
    for (int pass = 0; pass < outage.size(); pass++) {
      if (pass == 3) { // the sentinel restarts mid-outage: a new process, the same database
        alerts.close();
        alerts = f.alerts(f.botEnv());
      }
      f.pass(alerts, outage.get(pass));
      f.clock.advance(Duration.ofMinutes(1));
    }
    long rows = f.count("SELECT count(*) FROM intake.alert_outbox");
    assertThat(f.count("SELECT count(*) FROM intake.alert_outbox WHERE sent_at IS NULL")).isEqualTo(rows);
    assertThat(f.slack.taken()).isEmpty();
    assertThat(f.sns.refused()).isPositive();

    f.slack.down(false);
    f.sns.down(false);
    int passes = 0;
    AlertSummary s;
    do {
      f.clock.advance(Duration.ofMinutes(1));
      s = f.pass(alerts, result("stuck_batches", Status.OK), result("error_spike", Status.OK));
    } while (s.pending() > 0 && ++passes < 30);
    alerts.close();

    assertThat(s.pending()).isZero();
    assertThat(f.count("SELECT count(*) FROM intake.alert_outbox WHERE attempts > 1")).isPositive(); // retried, not lost
    assertThat(f.slack.taken()).hasSize((int) f.count("SELECT count(*) FROM intake.alert_outbox WHERE route LIKE 'slack:%'"));
    assertThat(f.sns.published()).hasSize((int) f.count("SELECT count(*) FROM intake.alert_outbox WHERE route = 'sns'"));
    assertThat(f.count("SELECT count(*) FROM intake.alert_outbox WHERE sent_at IS NULL")).isZero();
    // in order: each message posted before its updates and replies; each Slack call once
    java.util.Set<String> seen = new java.util.HashSet<>();
    List<String> postedTs = new ArrayList<>();
    for (SlackStandIn.Call c : f.slack.taken()) {
      assertThat(seen.add(c.method() + " " + c.form())).isTrue();
      if (c.isPost()) {
        postedTs.add("1700000000." + String.format("%06d", postedTs.size() + 1));
      } else {
        assertThat(postedTs).contains(c.isUpdate() ? c.field("ts") : c.field("thread_ts"));
      }
    }
    assertThat(f.slack.posts()).isEqualTo(3); // batch 1; batch 2; source acme
    assertThat(f.sns.published()).extracting(p -> p.attributes().get("check") + " " + p.attributes().get("kind"))
        .containsExactly("stuck_batches opened", "stuck_batches opened", "error_spike worse", "stuck_batches resolved",
            "stuck_batches resolved", "error_spike resolved");
  }

  @Test
  void aSlackOutageIsRetriedOnLaterPassesWithBackoffDoublingFromThirtySeconds() {
    f.slack.down(true);
    try (Alerts alerts = f.alerts(f.botEnv())) {
      for (int i = 0; i <= 36; i++) { // a pass every 10 s for 6 minutes
        f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 4"));
        f.clock.advance(Duration.ofSeconds(10));
      }
    }
    List<Duration> tries = f.slack.calls().stream().map(c -> Duration.between(AlertFixture.START, c.at())).toList();
    // tried at once, then 30 s, 60 s, 120 s after each failure (on the first pass at or after it)
    assertThat(tries).containsExactly(Duration.ZERO, Duration.ofSeconds(30), Duration.ofSeconds(90), Duration.ofSeconds(210));
    assertThat(f.count("SELECT count(*) FROM intake.alert_outbox WHERE sent_at IS NULL AND attempts = 4")).isEqualTo(1);
  }

  @Test
  void aLongOutageIsRetriedAtLeastEveryFifteenMinutes() {
    f.slack.down(true);
    try (Alerts alerts = f.alerts(f.botEnv())) {
      for (int i = 0; i <= 120; i++) { // a pass a minute for two hours
        f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 4"));
        f.clock.advance(Duration.ofMinutes(1));
      }
    }
    List<Duration> gaps = new ArrayList<>();
    List<SlackStandIn.Call> calls = f.slack.calls();
    for (int i = 1; i < calls.size(); i++) gaps.add(Duration.between(calls.get(i - 1).at(), calls.get(i).at()));
    // 30 s, 1, 2, 4, 8 min (each on the first pass after it), then capped at 15 min
    assertThat(gaps).startsWith(Duration.ofMinutes(1), Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(4),
        Duration.ofMinutes(8), Duration.ofMinutes(15), Duration.ofMinutes(15));
    assertThat(gaps).allMatch(g -> g.compareTo(Duration.ofMinutes(15)) <= 0);
  }

  @Test
  void aTokenSlackRefusesIsACriticalSentToSnsAndTheAlertsWaitUntilItWorks() {
    f.slack.refuse("invalid_auth");
    try (Alerts alerts = f.alerts(f.botEnv())) {
      AlertSummary s = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 5"));
      assertThat(s.problems()).anyMatch(p -> p.contains("slack:#alerts refused: Slack refused the call: invalid_auth"));
      assertThat(s.incidents()).extracting(i -> i.check() + " " + i.subject())
          .contains("stuck_batches batch 5", "alerting slack");
      assertThat(f.sns.published()).extracting(p -> p.attributes().get("check") + " " + p.attributes().get("severity"))
          .containsExactly("stuck_batches critical", "alerting critical");
      assertThat(f.sns.published().get(1).message()).contains("Slack refuses the alerts").contains("invalid_auth");
      assertThat(s.pending()).isEqualTo(1); // the Slack post waits

      f.slack.refuse(null); // the operator fixed the token
      f.clock.advance(Duration.ofMinutes(5));
      s = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 5"));
      assertThat(s.pending()).isZero();
      assertThat(f.slack.posts()).isEqualTo(1);
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 5"));
    }
    assertThat(f.sns.published()).extracting(p -> p.attributes().get("check") + " " + p.attributes().get("kind"))
        .containsExactly("stuck_batches opened", "alerting opened", "alerting resolved");
    assertThat(f.slack.taken()).noneMatch(c -> c.form().toString().contains("alerting"));
  }

  @Test
  void atMostOneMessageASecondPerChannelAndThePassSendsNoLongerThanItsLimit() {
    Map<String, String> env = f.botEnv();
    env.put("SENTINEL_ALERT_SEND_TIME_LIMIT", "3s");
    String[] checks = {"stuck_batches", "error_spike", "schema_cache", "lost_events", "database", "self"};
    try (Alerts alerts = f.alerts(env)) {
      List<CheckResult> six = new ArrayList<>();
      for (String c : checks) six.add(result(c, Status.CRITICAL, "batch 1"));
      AlertSummary first = f.pass(alerts, six.toArray(CheckResult[]::new));
      // 3 s at one a second: four posts to #alerts, and three SNS publishes between them
      assertThat(first.sent()).isEqualTo(7);
      assertThat(f.waits.stream().reduce(Duration.ZERO, Duration::plus)).isEqualTo(Duration.ofSeconds(3));
      assertThat(first.pending()).isPositive();
      f.clock.advance(Duration.ofMinutes(1));
      AlertSummary second = f.pass(alerts, six.toArray(CheckResult[]::new));
      f.clock.advance(Duration.ofMinutes(1));
      AlertSummary third = f.pass(alerts, six.toArray(CheckResult[]::new));
      assertThat(third.pending()).isZero();
      assertThat(first.sent() + second.sent() + third.sent()).isEqualTo(12);
    }
    List<SlackStandIn.Call> posts = f.slack.taken();
    assertThat(posts).hasSize(6);
    for (int i = 1; i < posts.size(); i++) {
      assertThat(Duration.between(posts.get(i - 1).at(), posts.get(i).at())).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
    }
  }

  @Test
  void aSlackThatDoesNotAnswerCostsThePassOneCallTimeoutAndTheAlertWaits() {
    f.slack.slow(7_000);
    long started = System.nanoTime();
    AlertSummary s;
    try (Alerts alerts = f.alerts(f.botEnv())) {
      s = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 3"));
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(took).isLessThan(Duration.ofSeconds(7));
    assertThat(s.pending()).isEqualTo(1);
    assertThat(f.sns.published()).hasSize(1); // the other destination is not held up
    assertThat(f.count("SELECT count(*) FROM intake.alert_outbox WHERE last_error LIKE 'Slack unreachable:%'")).isEqualTo(1);
  }
}
