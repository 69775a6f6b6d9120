package dev.dragonfly.sentinel;

import static dev.dragonfly.sentinel.AlertFixture.result;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.sentinel.alert.AlertSummary;
import dev.dragonfly.sentinel.alert.Alerts;
import dev.dragonfly.sentinel.alert.Silences;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Incidents over time: flapping, restarts, silences, two sentinels at once. */
class AlertIncidentTest {
  private final AlertFixture f = new AlertFixture();

  AlertIncidentTest() throws Exception {}

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  private static CheckResult stuck(boolean bad) {
    return result("stuck_batches", bad ? Status.CRITICAL : Status.OK, "batch 8");
  }

  @Test
  void aConditionAlternatingEveryPassForAnHourSendsAtMostTwoMessages() {
    try (Alerts alerts = f.alerts(f.botEnv())) {
      for (int pass = 0; pass < 60; pass++) {
        f.pass(alerts, stuck(pass % 2 == 0));
        f.clock.advance(Duration.ofMinutes(1));
      }
    }
    assertThat(f.slack.messages()).isBetween(1L, 2L);
    assertThat(f.sns.published()).hasSizeLessThanOrEqualTo(2);
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents")).isEqualTo(1);
  }

  @Test
  void aConditionThatResolvesAndComesBackIsHeldAsOneFlappingIncidentUntilItHasBeenOkForTheFlapWindow() {
    try (Alerts alerts = f.alerts(f.botEnv())) {
      // bad one pass, ok two: without flap detection each round would open and resolve an incident
      for (int pass = 0; pass < 60; pass++) {
        f.pass(alerts, stuck(pass % 3 == 0));
        f.clock.advance(Duration.ofMinutes(1));
      }
      assertThat(f.count("SELECT count(*) FROM intake.alert_incidents")).isEqualTo(1);
      assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE status = 'open' AND flapping AND reopened = 1"))
          .isEqualTo(1);
      assertThat(f.slack.posts()).isEqualTo(1);
      assertThat(f.slack.taken().stream().filter(SlackStandIn.Call::isReply).map(c -> c.field("text").split(":")[0]))
          .containsExactly("Resolved", "Came back after it resolved (1 time(s))");
      assertThat(f.sns.published()).extracting(p -> p.attributes().get("kind")).containsExactly("opened", "resolved", "flapping");

      // the last bad pass was at minute 57: ok from then on, but not yet for the whole hour
      for (int pass = 0; pass < 57; pass++) {
        f.pass(alerts, stuck(false));
        f.clock.advance(Duration.ofMinutes(1));
      }
      assertThat(f.slack.replies()).isEqualTo(2);
      f.pass(alerts, stuck(false));
    }
    assertThat(f.slack.replies()).isEqualTo(3);
    assertThat(f.slack.taken().get(f.slack.taken().size() - 1).field("text")).startsWith("Resolved: batch 8");
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE status = 'resolved' AND NOT flapping")).isEqualTo(1);
  }

  @Test
  void aRestartedSentinelNeitherForgetsAnOpenIncidentNorSendsItAgain() {
    try (Alerts alerts = f.alerts(f.botEnv())) {
      f.pass(alerts, stuck(true));
    }
    f.clock.advance(Duration.ofMinutes(1));
    try (Alerts restarted = f.alerts(f.botEnv())) {
      f.pass(restarted, stuck(true));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(restarted, stuck(false));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(restarted, stuck(false));
    }
    assertThat(f.slack.posts()).isEqualTo(1);
    assertThat(f.slack.replies()).isEqualTo(1);
    assertThat(f.sns.published()).extracting(p -> p.attributes().get("kind")).containsExactly("opened", "resolved");
  }

  @Test
  void aCheckThatCouldNotRunSaysNothingAboutItsIncidents() {
    try (Alerts alerts = f.alerts(f.botEnv())) {
      f.pass(alerts, stuck(true));
      for (int i = 0; i < 5; i++) {
        f.clock.advance(Duration.ofMinutes(1));
        f.pass(alerts, result("stuck_batches", Status.UNKNOWN), result("error_spike", Status.SKIPPED));
      }
      assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE status = 'open' AND ok_passes = 0")).isEqualTo(1);
      assertThat(f.slack.replies()).isZero();
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, stuck(false));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, stuck(false));
    }
    assertThat(f.slack.replies()).isEqualTo(1);
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE status = 'resolved'")).isEqualTo(1);
  }

  @Test
  void aSkippedOrUnknownCheckNeitherResolvesNorChangesItsOwnIncidents() {
    try (Alerts alerts = f.alerts(f.botEnv())) {
      f.pass(alerts, stuck(true));
      for (int i = 0; i < 3; i++) {
        f.clock.advance(Duration.ofMinutes(1));
        f.pass(alerts, result("stuck_batches", Status.SKIPPED));
        f.clock.advance(Duration.ofMinutes(1));
        f.pass(alerts, result("stuck_batches", Status.UNKNOWN));
      }
    }
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE status = 'open' AND ok_passes = 0")).isEqualTo(1);
    assertThat(f.slack.updates()).isZero();
    assertThat(f.slack.replies()).isZero();
  }

  @Test
  void aSilencedSubjectIsRecordedAndReportedButNotSentUntilItsSilenceExpires() {
    long id = new Silences(f.db.jdbi()).add("stuck_batches", Optional.of("batch 8"), Duration.ofHours(2), "vendor re-sending",
        "test", f.clock.instant());
    try (Alerts alerts = f.alerts(f.botEnv())) {
      AlertSummary s = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 8", "batch 9"));
      assertThat(s.incidents()).extracting(i -> i.subject() + " " + i.silence()).containsExactly("batch 8 " + id, "batch 9 null");
      assertThat(f.slack.taken()).hasSize(1);
      assertThat(f.slack.taken().get(0).field("blocks")).contains("batch 9").doesNotContain("batch 8");
      assertThat(f.sns.published()).hasSize(1);

      f.clock.advance(Duration.ofMinutes(119));
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 8"));
      assertThat(f.slack.posts()).isEqualTo(1);

      f.clock.advance(Duration.ofMinutes(2)); // expired by itself: sent now, as any new incident
      s = f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 8"));
      assertThat(s.incidents()).extracting(AlertSummary.OpenIncident::silence).containsOnlyNulls();
    }
    assertThat(f.slack.posts()).isEqualTo(2);
    assertThat(f.slack.taken().get(f.slack.taken().size() - 1).field("blocks")).contains("batch 8 opened");
  }

  @Test
  void aSilenceOfAWholeCheckCoversEverySubjectAndRemovingItSendsOnTheNextPass() {
    Silences silences = new Silences(f.db.jdbi());
    long id = silences.add("stuck_batches", Optional.empty(), Duration.ofHours(2), "maintenance", "test", f.clock.instant());
    try (Alerts alerts = f.alerts(f.botEnv())) {
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1", "batch 2"), result("lost_events", Status.CRITICAL, "object a"));
      assertThat(f.slack.taken()).hasSize(1);
      assertThat(f.slack.taken().get(0).field("blocks")).contains("lost_events");
      assertThat(silences.remove(id, f.clock.instant())).isTrue();
      assertThat(silences.remove(id, f.clock.instant())).isFalse();
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(alerts, result("stuck_batches", Status.CRITICAL, "batch 1", "batch 2"), result("lost_events", Status.CRITICAL, "object a"));
    }
    assertThat(f.slack.posts()).isEqualTo(2);
    assertThat(f.slack.taken().get(1).field("blocks")).contains("batch 1").contains("batch 2");
  }

  @Test
  void twoSentinelsPassingAtOnceSendEachMessageOnce() throws Exception {
    f.slack.slow(300); // each call takes a while: both sentinels are in delivery at the same time
    List<CheckResult[]> passes = List.of(
        new CheckResult[] {result("stuck_batches", Status.CRITICAL, "batch 1", "batch 2")},
        new CheckResult[] {result("stuck_batches", Status.CRITICAL, "batch 2")},
        new CheckResult[] {result("stuck_batches", Status.OK)},
        new CheckResult[] {result("stuck_batches", Status.OK)},
        new CheckResult[] {result("stuck_batches", Status.OK)});
    Map<String, String> b = f.botEnv();
    b.put("SENTINEL_INSTANCE", "sentinel-b");
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (Alerts first = f.alerts(f.botEnv()); Alerts second = f.alerts(b)) {
      for (CheckResult[] pass : passes) {
        CyclicBarrier together = new CyclicBarrier(2);
        List<Future<AlertSummary>> both = new ArrayList<>();
        for (Alerts a : List.of(first, second)) {
          both.add(pool.submit(() -> {
            together.await(10, TimeUnit.SECONDS);
            return f.pass(a, pass);
          }));
        }
        // the decisions are serialised: neither sentinel fails on the other's incidents
        for (Future<AlertSummary> s : both) assertThat(s.get(60, TimeUnit.SECONDS).problems()).isEmpty();
        f.clock.advance(Duration.ofMinutes(1));
      }
      // whatever one round left for the other, the next pass of either sends
      f.pass(first, result("stuck_batches", Status.OK));
    } finally {
      pool.shutdownNow();
    }
    assertThat(f.count("SELECT count(*) FROM intake.alert_outbox WHERE sent_at IS NULL")).isZero();
    assertThat(f.slack.taken()).hasSize((int) f.count("SELECT count(*) FROM intake.alert_outbox WHERE route LIKE 'slack:%'"));
    assertThat(f.slack.posts()).isEqualTo(1);
    assertThat(f.slack.taken().stream().filter(SlackStandIn.Call::isReply).map(c -> c.field("text")))
        .containsExactlyInAnyOrder("Resolved: batch 1 has been ok for 2 passes.", "Resolved: batch 2 has been ok for 2 passes.");
    assertThat(f.sns.published()).extracting(p -> p.attributes().get("kind")).containsExactly("opened", "resolved", "resolved");
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents")).isEqualTo(2);
  }
}
