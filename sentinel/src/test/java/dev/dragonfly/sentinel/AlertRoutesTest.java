package dev.dragonfly.sentinel;

import static dev.dragonfly.sentinel.AlertFixture.result;
import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.functions.SnsFake;
import dev.dragonfly.sentinel.alert.AlertSummary;
import dev.dragonfly.sentinel.alert.Alerts;
import dev.dragonfly.sentinel.check.Check;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.PassHistory;
import dev.dragonfly.sentinel.check.SentinelSelf;
import dev.dragonfly.sentinel.check.Status;
import dev.dragonfly.sentinel.heal.SentinelState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where an incident goes follows the deployment's routes, not the process that saw it: a daemon
 * with Slack and SNS, a daemon with neither, and a one-shot pass from a shell without them, on
 * one database. Every incident reaches Slack and SNS once, only the daemon that has them marks
 * anything sent, and nothing is refused or backed off by a process that cannot send.
 */
class AlertRoutesTest {
  private final AlertFixture f = new AlertFixture();
  private final List<AlertSummary> withoutDestinations = new ArrayList<>();

  AlertRoutesTest() throws Exception {}

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  private Alerts bare(String instance) {
    return f.alerts(Map.of("SENTINEL_INSTANCE", instance));
  }

  private void bare(Alerts alerts, CheckResult... results) {
    withoutDestinations.add(f.pass(alerts, results));
  }

  private long postsAbout(String subject) {
    return f.slack.taken().stream().filter(SlackStandIn.Call::isPost).filter(c -> c.field("text").contains(subject)).count();
  }

  private List<SnsFake.Publish> published(String check, String kind) {
    return f.sns.published().stream().filter(p -> p.attributes().get("check").equals(check))
        .filter(p -> p.attributes().get("kind").equals(kind)).toList();
  }

  @ParameterizedTest(name = "the daemon with destinations starts first: {0}")
  @ValueSource(booleans = {true, false})
  void everyIncidentReachesSlackAndSnsOnceWhicheverSentinelOrOneShotPassDecidedIt(boolean configuredFirst) {
    try (Alerts configured = f.alerts(f.botEnv()); Alerts other = bare("sentinel-b")) {
      CheckResult batch1 = result("stuck_batches", Status.CRITICAL, "batch 1");
      if (configuredFirst) {
        f.pass(configured, batch1);
        f.clock.advance(Duration.ofSeconds(30));
        bare(other, batch1);
      } else {
        bare(other, batch1); // no sentinel with a destination seen yet: logged, awaiting the routes
        f.clock.advance(Duration.ofSeconds(30));
        f.pass(configured, batch1);
      }
      // on-call runs a pass by hand while the daemons run: it sees error_spike first
      f.clock.advance(Duration.ofSeconds(10));
      CheckResult spike = result("error_spike", Status.CRITICAL, "source acme");
      try (Alerts oneShot = bare("on-call-shell")) {
        bare(oneShot, batch1, spike);
      }
      f.clock.advance(Duration.ofSeconds(20));
      bare(other, batch1, spike);
      f.clock.advance(Duration.ofSeconds(30));
      f.pass(configured, batch1, spike);
      // both clear, seen by the daemon without destinations: the daemon with them sends the resolutions
      for (int i = 0; i < 2; i++) {
        f.clock.advance(Duration.ofSeconds(30));
        bare(other, result("stuck_batches", Status.OK), result("error_spike", Status.OK));
      }
      f.clock.advance(Duration.ofSeconds(30));
      AlertSummary last = f.pass(configured, result("stuck_batches", Status.OK), result("error_spike", Status.OK));
      assertThat(last.pending()).isZero();
    }
    assertThat(postsAbout("batch 1")).isEqualTo(1);
    assertThat(postsAbout("source acme")).isEqualTo(1);
    assertThat(published("stuck_batches", "opened")).hasSize(1);
    assertThat(published("error_spike", "opened")).hasSize(1);
    assertThat(published("stuck_batches", "resolved")).hasSize(1);
    assertThat(published("error_spike", "resolved")).hasSize(1);
    assertThat(f.slack.taken().stream().filter(SlackStandIn.Call::isUpdate).filter(c -> c.field("text").contains("RESOLVED")))
        .hasSize(2);
    // only the daemon with the destinations marked anything sent, nobody backed anything off
    assertThat(f.count("SELECT count(*) FROM intake.alert_outbox WHERE sent_by IS DISTINCT FROM 'sentinel-a'")).isZero();
    assertThat(f.count("SELECT count(*) FROM intake.alert_outbox WHERE sent_at IS NULL OR parked_at IS NOT NULL")).isZero();
    // no false "refused": no alerting incident, no problem in the passes that could not send
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE check_name = 'alerting'")).isZero();
    assertThat(f.sns.published()).noneMatch(p -> p.attributes().get("check").equals("alerting"));
    assertThat(withoutDestinations).allMatch(s -> s.problems().isEmpty() && s.sent() == 0);
  }

  @Test
  void aPassWithoutDestinationsLeavesTheOutboxAsItFoundItAndLogsNoRefusal() {
    try (Alerts configured = f.alerts(f.botEnv()); Alerts oneShot = bare("on-call-shell")) {
      f.pass(configured, result("stuck_batches", Status.OK));
      f.clock.advance(Duration.ofSeconds(10));
      AlertSummary s = f.pass(oneShot, result("stuck_batches", Status.CRITICAL, "batch 7"));

      assertThat(s.pending()).isEqualTo(2); // the post to #alerts and the page, for the daemon
      assertThat(s.sent()).isZero();
      assertThat(s.problems()).isEmpty();
      assertThat(f.slack.calls()).isEmpty();
      assertThat(f.sns.published()).isEmpty();
      assertThat(f.count("SELECT count(*) FROM intake.alert_outbox WHERE attempts = 0 AND last_error IS NULL")).isEqualTo(2);
      assertThat(f.count("SELECT count(*) FROM intake.sentinel_state WHERE name = 'alerts.slack_refused'")).isZero();

      f.clock.advance(Duration.ofSeconds(10));
      f.pass(configured, result("stuck_batches", Status.CRITICAL, "batch 7"));
    }
    assertThat(postsAbout("batch 7")).isEqualTo(1);
    assertThat(published("stuck_batches", "opened")).hasSize(1);
  }

  @Test
  void aDaemonStarted40SecondsAfterAOneShotPassOpensNoSelfIncident() {
    SentinelState state = new SentinelState(f.db.jdbi());
    try (Sentinel oneShot = sentinel("on-call-shell", new PassHistory(Optional.of(state)), Duration.ofMinutes(1), bare("x"))) {
      assertThat(oneShot.runOnce(f.clock.instant()).check("self").status()).isEqualTo(Status.OK);
    }
    f.clock.advance(Duration.ofSeconds(40));
    try (Sentinel daemon = sentinel("sentinel-a", new PassHistory(Optional.of(state)), Duration.ofSeconds(10),
        f.alerts(f.botEnv()))) {
      for (int i = 0; i < 3; i++) {
        Report r = daemon.runOnce(f.clock.instant());
        assertThat(r.check("self").status()).isEqualTo(Status.OK);
        f.clock.advance(Duration.ofSeconds(10));
      }
    }
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE check_name = 'self'")).isZero();
    assertThat(f.slack.calls()).isEmpty();
  }

  private Sentinel sentinel(String instance, PassHistory history, Duration interval, Alerts alerts) {
    Check self = new SentinelSelf(history, interval, 3);
    return new Sentinel(List.of(), self, Duration.ofSeconds(5), Map.of(), history, Optional.empty(), instance,
        Optional.of(alerts));
  }

  @Test
  void anIncidentDecidedBeforeAnySentinelWithADestinationRanIsAnnouncedByTheFirstThatDoes() {
    Instant opened = f.clock.instant();
    try (Alerts oneShot = bare("on-call-shell")) {
      AlertSummary s = f.pass(oneShot, result("stuck_batches", Status.CRITICAL, "batch 3"));
      assertThat(s.pending()).isZero(); // nowhere to go yet: logged
    }
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE awaiting_routes")).isEqualTo(1);
    f.clock.advance(Duration.ofMinutes(5));
    try (Alerts configured = f.alerts(f.botEnv())) {
      f.pass(configured, result("stuck_batches", Status.CRITICAL, "batch 3"));
      f.clock.advance(Duration.ofMinutes(1));
      f.pass(configured, result("stuck_batches", Status.CRITICAL, "batch 3")); // said once, not on every pass
    }
    assertThat(postsAbout("batch 3")).isEqualTo(1);
    assertThat(published("stuck_batches", "opened")).hasSize(1);
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE awaiting_routes")).isZero();
    assertThat(f.count("SELECT count(*) FROM intake.alert_incidents WHERE opened_at = ?", opened)).isEqualTo(1);
  }
}
