package dev.dragonfly.sentinel;

import static dev.dragonfly.sentinel.AlertFixture.result;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.intake.Json;
import dev.dragonfly.sentinel.alert.AlertSummary;
import dev.dragonfly.sentinel.alert.Alerts;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Finding;
import dev.dragonfly.sentinel.check.Status;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One incident from open to resolved through Slack (bot token) and SNS, and what each message holds. */
class AlertLifecycleTest {
  private final AlertFixture f = new AlertFixture();

  AlertLifecycleTest() throws Exception {}

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  @Test
  void oneIncidentIsPostedUpdatedWhenWorseQuietWithinTheRepeatIntervalRemindedAfterItAndResolvedAfterTwoOkPasses() {
    try (Alerts alerts = f.alerts(f.botEnv())) {
      f.pass(alerts, result("stuck_batches", Status.WARNING, "batch 42"));
      assertThat(f.slack.posts()).isEqualTo(1);
      assertThat(f.slack.updates() + f.slack.replies()).isZero();
      assertThat(f.sns.published()).isEmpty(); // a WARNING does not page

      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 42"));
      assertThat(f.slack.posts()).isEqualTo(1);
      assertThat(f.slack.updates()).isEqualTo(1);
      assertThat(f.slack.replies()).isEqualTo(1);
      assertThat(f.sns.published()).hasSize(1);
      assertThat(f.sns.published().get(0).attributes()).containsEntry("severity", "critical")
          .containsEntry("check", "stuck_batches").containsEntry("kind", "worse");

      for (int i = 0; i < 50; i++) { // still bad, within the hour: nothing
        f.clock.advance(Duration.ofMinutes(1));
        f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 42"));
      }
      assertThat(f.slack.taken()).hasSize(3);
      assertThat(f.sns.published()).hasSize(1);

      f.clock.advance(Duration.ofMinutes(10)); // an hour after the last message: one reminder
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 42"));
      assertThat(f.slack.updates()).isEqualTo(2);
      assertThat(f.slack.replies()).isEqualTo(2);
      assertThat(f.slack.calls().get(f.slack.calls().size() - 1).field("text")).startsWith("Still open since");
      assertThat(f.sns.published()).hasSize(2);

      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.OK));
      assertThat(f.slack.taken()).hasSize(5); // one ok pass is not enough

      f.clock.advance(Duration.ofMinutes(1));
      AlertSummary resolved = f.pass(alerts, result("stuck_batches", Status.OK));
      assertThat(f.slack.posts()).isEqualTo(1);
      assertThat(f.slack.updates()).isEqualTo(3);
      assertThat(f.slack.replies()).isEqualTo(3);
      SlackStandIn.Call update = f.slack.taken().stream().filter(SlackStandIn.Call::isUpdate).reduce((a, b) -> b).orElseThrow();
      assertThat(header(update)).startsWith(":white_check_mark: RESOLVED · stuck_batches");
      assertThat(update.field("ts")).isEqualTo("1700000000.000001");
      assertThat(update.field("channel")).isEqualTo(SlackStandIn.CHANNEL_ID);
      SlackStandIn.Call reply = f.slack.taken().get(f.slack.taken().size() - 1);
      assertThat(reply.field("thread_ts")).isEqualTo("1700000000.000001");
      assertThat(reply.field("text")).isEqualTo("Resolved: batch 42 has been ok for 2 passes.");
      assertThat(f.sns.published()).hasSize(3);
      assertThat(f.sns.published().get(2).attributes()).containsEntry("kind", "resolved");
      assertThat(resolved.incidents()).isEmpty();

      for (int i = 0; i < 10; i++) {
        f.clock.advance(Duration.ofMinutes(30));
        f.pass(alerts, result("stuck_batches", Status.OK));
      }
      assertThat(f.slack.calls()).hasSize(7);
      assertThat(f.sns.published()).hasSize(3);
      assertThat(f.count("SELECT count(*) FROM intake.alert_incidents")).isEqualTo(1);
      assertThat(f.count("SELECT count(*) FROM intake.alert_outbox WHERE sent_at IS NULL")).isZero();
    }
  }

  @Test
  void thePostHasTheHeaderFactsWhatTheSentinelDidTheCommandTheRunbookLinkAndTheContextAsBlockKitWithATextFallback() {
    try (Alerts alerts = f.alerts(f.botEnv())) {
      CheckResult stuck = result("stuck_batches", Status.CRITICAL, "batch 42").withActions(List.of(
          new dev.dragonfly.sentinel.check.Action("batch 42", "force_fail", "staging, heartbeat 2 min old", "failed")));
      f.pass(alerts, stuck);
    }
    SlackStandIn.Call post = f.slack.taken().get(0);
    assertThat(post.isPost()).isTrue();
    assertThat(post.field("channel")).isEqualTo("#alerts");
    assertThat(post.authorization()).isEqualTo("Bearer xoxb-test-token");
    JsonNode blocks = Json.readTree(post.field("blocks"));
    assertThat(blocks.get(0).path("type").asText()).isEqualTo("header");
    assertThat(header(post)).isEqualTo(":red_circle: CRITICAL · stuck_batches · batch 42 opened");
    String all = blocks.toString();
    assertThat(all).contains("*Subject*\\nbatch 42").contains("*status*\\nstaging").contains("*silent_seconds*\\n120")
        .contains("*What the sentinel did*\\nforce_fail batch 42: staging, heartbeat 2 min old → failed")
        .contains("```sentinel batch show 42```")
        .contains("<" + AlertFixture.RUNBOOKS + "/stuck-batches.md#what-to-do|runbooks/stuck-batches.md#what-to-do>");
    JsonNode context = blocks.get(blocks.size() - 1);
    assertThat(context.path("type").asText()).isEqualTo("context");
    assertThat(context.toString()).contains("sentinel sentinel-a · 2026-06-15T12:00:00Z · incident #");
    assertThat(post.field("text")).startsWith("CRITICAL stuck_batches: batch 42 opened")
        .contains("Run: sentinel batch show 42").contains("Runbook: " + AlertFixture.RUNBOOKS + "/stuck-batches.md#what-to-do");
    assertThat(f.sns.published()).hasSize(1);
    assertThat(f.sns.published().get(0).subject()).isEqualTo("[CRITICAL] stuck_batches: batch 42 opened");
    assertThat(f.sns.published().get(0).message()).isEqualTo(post.field("text"));
  }

  @Test
  void noSeededSsnOrCardNumberReachesSlackSnsOrTheLog() {
    java.io.PrintStream originalErr = System.err;
    var log = new java.io.ByteArrayOutputStream();
    try (Alerts alerts = f.alerts(f.botEnv())) {
      // a summary that (wrongly) quotes a row's values: the renderer redacts whatever it is given,
      // and the alert's log line (the real logging backend) passes the log's one redaction point
      Finding leaky = new Finding("source acme", Status.CRITICAL, "sample message: \"ssn 123-45-6789 card 4111 1111 1111 1111\"",
          Map.of("sample", "123456789", "card", "4111-1111-1111-1111"));
      System.setErr(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
      f.pass(alerts, new CheckResult("error_spike", Status.CRITICAL, "spike", Map.of(), List.of(leaky), List.of()));
    } finally {
      System.setErr(originalErr);
    }
    String logged = log.toString(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(logged).contains("alert opened critical error_spike source acme: sample message: \"ssn [REDACTED-SSN] card "
        + "[REDACTED-CARD]\"").doesNotContain("123-45-6789").doesNotContain("4111 1111 1111 1111");
    assertThat(f.slack.taken()).hasSize(1);
    String sent = f.slack.taken().get(0).form().toString() + f.sns.published();
    assertThat(sent).doesNotContain("123-45-6789").doesNotContain("123456789").doesNotContain("4111 1111 1111 1111")
        .doesNotContain("4111-1111-1111-1111").contains("[REDACTED-SSN]").contains("[REDACTED-CARD]");
  }

  @Test
  void tenStuckBatchesOfOnePassAreOneMessageListingThem() {
    try (Alerts alerts = f.alerts(f.botEnv())) {
      String[] batches = new String[10];
      for (int i = 0; i < 10; i++) batches[i] = "batch " + (100 + i);
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, batches));

      assertThat(f.slack.posts()).isEqualTo(1);
      assertThat(f.sns.published()).hasSize(1);
      assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE status = 'open'")).isEqualTo(10);
      String blocks = f.slack.taken().get(0).field("blocks");
      for (String b : batches) assertThat(blocks).contains("*" + b + "*");
      assertThat(header(f.slack.taken().get(0))).isEqualTo(":red_circle: CRITICAL · stuck_batches · 10 subjects");

      // one of them clears: the same message is updated and its thread says which
      f.clock.advance(Duration.ofMinutes(1));
      String[] nine = java.util.Arrays.copyOf(batches, 9);
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, nine));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, nine));
      assertThat(f.slack.posts()).isEqualTo(1);
      assertThat(f.slack.updates()).isEqualTo(1);
      SlackStandIn.Call reply = f.slack.taken().get(f.slack.taken().size() - 1);
      assertThat(reply.field("text")).isEqualTo("Resolved: batch 109 has been ok for 2 passes.");
    }
  }

  @Test
  void aWarningWithoutAWarningsChannelGoesOnlyToTheLog() {
    Map<String, String> env = f.botEnv();
    env.remove("SLACK_WARNINGS_CHANNEL");
    try (Alerts alerts = f.alerts(env)) {
      AlertSummary s = f.pass(alerts, result("lost_events", Status.WARNING, "object incoming/acme/a.csv"));
      assertThat(s.announced()).isEqualTo(1);
      assertThat(s.incidents()).extracting(AlertSummary.OpenIncident::subject).containsExactly("object incoming/acme/a.csv");
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("lost_events", Status.OK));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("lost_events", Status.OK));
    }
    assertThat(f.slack.calls()).isEmpty();
    assertThat(f.sns.published()).isEmpty();
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE status = 'resolved'")).isEqualTo(1);
  }

  @Test
  void aWarningThatBecomesCriticalIsPostedToTheAlertsChannelAndTheWarningsMessageIsUpdated() {
    Map<String, String> env = f.botEnv();
    env.put("SLACK_WARNINGS_CHANNEL", "#warnings");
    try (Alerts alerts = f.alerts(env)) {
      f.pass(alerts, result("stuck_batches", Status.WARNING, "batch 7"));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 7"));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.OK));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.OK));
    }
    List<SlackStandIn.Call> posts = f.slack.taken().stream().filter(SlackStandIn.Call::isPost).toList();
    assertThat(posts).extracting(c -> c.field("channel")).containsExactly("#warnings", "#alerts");
    // resolved wherever it went: both messages updated, each thread told
    assertThat(f.slack.updates()).isEqualTo(1 + 2);
    assertThat(f.slack.taken().stream().filter(SlackStandIn.Call::isReply).map(c -> c.field("text")))
        .containsExactly("Worse, now CRITICAL: batch 7 is stuck (staging, heartbeat silent for 2 min); see 'sentinel batch show 7'",
            "Resolved: batch 7 has been ok for 2 passes.", "Resolved: batch 7 has been ok for 2 passes.");
    assertThat(f.sns.published()).extracting(p -> p.attributes().get("kind")).containsExactly("worse", "resolved");
  }

  @Test
  void withOnlyAWebhookEveryChangeIsANewMessage() {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("SENTINEL_INSTANCE", "sentinel-a");
    env.put("SLACK_WEBHOOK_URL", f.slack.webhookUrl());
    try (Alerts alerts = f.alerts(env)) {
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 9"));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.OK));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.OK));
    }
    List<SlackStandIn.Call> hooks = f.slack.taken();
    assertThat(hooks).extracting(SlackStandIn.Call::method).containsExactly("webhook", "webhook");
    assertThat(Json.readTree(hooks.get(0).body()).path("text").asText()).startsWith("CRITICAL stuck_batches: batch 9 opened");
    assertThat(Json.readTree(hooks.get(0).body()).path("blocks").get(0).path("type").asText()).isEqualTo("header");
    assertThat(Json.readTree(hooks.get(1).body()).path("text").asText()).startsWith("RESOLVED stuck_batches: batch 9 resolved");
  }

  private static String header(SlackStandIn.Call call) {
    return Json.readTree(call.field("blocks")).get(0).path("text").path("text").asText();
  }
}
