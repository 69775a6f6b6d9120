package dev.dragonfly.sentinel;

import static dev.dragonfly.sentinel.AlertFixture.result;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.sentinel.alert.AlertSummary;
import dev.dragonfly.sentinel.alert.Alerts;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Finding;
import dev.dragonfly.sentinel.check.Status;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import okhttp3.mockwebserver.MockResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One message Slack will not take never holds its channel: a deleted message is posted anew, a
 * message refused as such is parked at once, one that keeps failing is parked once Slack takes
 * the alerts behind it, and an outage parks nothing.
 */
class AlertParkingTest {
  private final AlertFixture f = new AlertFixture();

  AlertParkingTest() throws Exception {}

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  /** A WARNING of error_spike: the later alert of the same channel (#alerts takes warnings too). */
  private static CheckResult spike(Status status) {
    List<Finding> findings = status == Status.OK ? List.of()
        : List.of(new Finding("source acme", status, "acme: 30% invalid rows", Map.of("source", "acme")));
    return new CheckResult("error_spike", status, status == Status.OK ? "all well" : "acme", Map.of(), findings, List.of());
  }

  private static boolean postAbout(String method, Map<String, String> form, String subject) {
    return method.equals("chat.postMessage") && form.get("thread_ts") == null && form.getOrDefault("text", "").contains(subject);
  }

  /** Where stuck_batches' one message is now. */
  private String messageTs() {
    return f.db.jdbi().withHandle(h -> h.createQuery(
        "SELECT ts FROM intake.alert_slack_messages WHERE check_name = 'stuck_batches'").mapTo(String.class).one());
  }

  private long parkedRows() {
    return f.count("SELECT count(*) FROM intake.alert_outbox WHERE parked_at IS NOT NULL");
  }

  private long openAlertingIncidents(String subject) {
    return f.count("SELECT count(*) FROM intake.alert_incidents WHERE check_name = 'alerting' AND subject = ? AND status = 'open'",
        subject);
  }

  private static String metrics(AlertSummary summary) throws Exception {
    SentinelMetrics metrics = new SentinelMetrics();
    metrics.observe(new Report(Report.SCHEMA_VERSION, "sentinel-a", AlertFixture.START, 1, Status.CRITICAL, List.of(), null,
        summary));
    var out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void anUpdateOfAMessageSomeoneDeletedPostsItAnewAndTheChannelGoesOn() {
    try (Alerts alerts = f.alerts(f.botEnv())) {
      f.pass(alerts, result("stuck_batches", Status.WARNING, "batch 1"));
      String first = messageTs();
      f.slack.answerWhen((method, form) -> method.equals("chat.update") && first.equals(form.get("ts")), 100,
          () -> SlackStandIn.error("message_not_found"));

      f.clock.advance(Duration.ofMinutes(1));
      AlertSummary worse = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1"));
      f.clock.advance(Duration.ofMinutes(1));
      AlertSummary later = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1"), spike(Status.WARNING));

      assertThat(worse.pending()).isZero();
      assertThat(worse.problems()).isEmpty();
      assertThat(later.pending()).isZero();
      List<SlackStandIn.Call> posts = f.slack.taken().stream().filter(SlackStandIn.Call::isPost).toList();
      assertThat(posts).hasSize(3); // the first, the same message posted anew, then error_spike's
      assertThat(posts.get(1).field("text")).contains("CRITICAL").contains("batch 1");
      assertThat(posts.get(2).field("text")).contains("error_spike");
      String anew = messageTs();
      assertThat(anew).isNotEqualTo(first);
      assertThat(f.slack.taken().stream().filter(SlackStandIn.Call::isReply).map(c -> c.field("thread_ts")).toList())
          .containsExactly(anew); // what changed goes into the new message's thread

      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.OK), spike(Status.WARNING));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.OK), spike(Status.WARNING));
    }
    List<SlackStandIn.Call> updates = f.slack.taken().stream().filter(SlackStandIn.Call::isUpdate).toList();
    assertThat(updates).hasSize(1); // the resolution, on the message posted anew
    assertThat(updates.get(0).field("ts")).isEqualTo(messageTs());
    assertThat(updates.get(0).field("text")).contains("RESOLVED");
    assertThat(parkedRows()).isZero();
  }

  @Test
  void aMessageSlackRefusesAsTooLongIsParkedAtOnceReportedAndLaterAlertsOfTheChannelStillGoOut() throws Exception {
    f.slack.answerWhen((method, form) -> postAbout(method, form, "batch 1"), 1, () -> SlackStandIn.error("msg_too_long"));
    try (Alerts alerts = f.alerts(f.botEnv())) {
      AlertSummary refused = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1"));

      assertThat(refused.problems()).contains(
          "alert parked: slack:#alerts post of stuck_batches (opened): Slack answered msg_too_long");
      assertThat(refused.parked()).isEqualTo(1);
      assertThat(refused.pending()).isZero();
      assertThat(openAlertingIncidents("parked")).isEqualTo(1);
      assertThat(f.sns.published()).extracting(p -> p.attributes().get("check")).contains("alerting");
      assertThat(metrics(refused)).contains("sentinel_alert_outbox_parked 1.0");

      f.clock.advance(Duration.ofMinutes(1));
      AlertSummary later = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1"), spike(Status.WARNING));
      assertThat(later.pending()).isZero();
    }
    assertThat(f.slack.taken().stream().filter(SlackStandIn.Call::isPost).map(c -> c.field("text")).toList())
        .hasSize(1).allMatch(t -> t.contains("error_spike"));
    assertThat(f.count("SELECT count(*) FROM intake.alert_outbox WHERE parked_at IS NOT NULL AND last_error = ?",
        "Slack answered msg_too_long")).isEqualTo(1);
  }

  @Test
  void aMessageThatKeepsGetting5xxIsParkedOnceSlackTakesTheAlertsBehindItAndNotBefore() throws Exception {
    f.slack.answerWhen((method, form) -> postAbout(method, form, "batch 1"), 1000,
        () -> new MockResponse().setResponseCode(500).setBody("internal error"));
    AlertSummary last = null;
    try (Alerts alerts = f.alerts(f.botEnv())) {
      AlertSummary first = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1"), spike(Status.WARNING));
      assertThat(first.heldBack()).containsExactly("slack:#alerts");
      assertThat(first.problems()).contains("slack:#alerts held back: 1 alert(s) wait behind one that failed 1 time(s) "
          + "(Slack answered HTTP 500)");
      assertThat(metrics(first)).contains("sentinel_alert_routes_held_back 1.0");
      for (int i = 0; i < 30 && parkedRows() == 0; i++) {
        assertThat(f.slack.posts()).isZero(); // in order until the bound: error_spike waits behind it
        f.clock.advance(Duration.ofMinutes(1));
        last = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1"), spike(Status.WARNING));
      }
    }
    assertThat(f.slack.calls().stream().filter(c -> c.status() == 500).count()).isEqualTo(5);
    assertThat(f.slack.taken().stream().filter(SlackStandIn.Call::isPost).map(c -> c.field("text")).toList())
        .hasSize(1).allMatch(t -> t.contains("error_spike"));
    assertThat(parkedRows()).isEqualTo(1);
    assertThat(last.parked()).isEqualTo(1);
    assertThat(last.heldBack()).isEmpty();
    assertThat(last.problems()).anyMatch(p -> p.startsWith("alert parked: slack:#alerts post of stuck_batches (opened): "
        + "failed 5 times or more while later alerts went through"));
    assertThat(openAlertingIncidents("parked")).isEqualTo(1);
  }

  @Test
  void anOutageWhereSlackTakesNothingParksNothingAndEveryAlertGoesOutAfterIt() {
    f.slack.down(true);
    try (Alerts alerts = f.alerts(f.botEnv())) {
      for (int i = 0; i < 40; i++) {
        f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1"), spike(Status.WARNING));
        f.clock.advance(Duration.ofMinutes(1));
      }
      assertThat(parkedRows()).isZero();
      f.slack.down(false);
      for (int i = 0; i < 20 && f.slack.posts() < 2; i++) {
        f.clock.advance(Duration.ofMinutes(1));
        f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1"), spike(Status.WARNING));
      }
    }
    assertThat(parkedRows()).isZero();
    assertThat(f.slack.taken().stream().filter(SlackStandIn.Call::isPost).map(c -> c.field("text")).toList())
        .hasSize(2).anyMatch(t -> t.contains("stuck_batches")).anyMatch(t -> t.contains("error_spike"));
    assertThat(openAlertingIncidents("parked")).isZero();
  }
}
