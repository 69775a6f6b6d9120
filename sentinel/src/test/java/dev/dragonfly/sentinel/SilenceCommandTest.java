package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Json;
import dev.dragonfly.intake.TestDatabase;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code sentinel silence add | list | remove}, the report's alerts, and the alert variables' mistakes, as a shell runs them. */
class SilenceCommandTest {
  private final Database db = TestDatabase.fresh();
  private final Map<String, String> env = Map.of("DATABASE_URL", TestDatabase.jdbcUrl(db), "SENTINEL_INSTANCE", "cli-test",
      "USER", "oncall-ana");

  private Cli.Run run(String... args) {
    return Cli.run(env, args);
  }

  private Cli.Run runWith(Map<String, String> extra, String... args) {
    return Cli.run(env, extra, args);
  }

  private static void assertOneLineNoStackTrace(Cli.Run r) {
    assertThat(r.out() + r.err()).doesNotContain("\tat ").doesNotContain("Exception");
    assertThat(r.err().strip().lines()).hasSizeLessThanOrEqualTo(2);
  }

  @Test
  void addListAndRemoveASilence() {
    Cli.Run added = run("silence", "add", "stuck_batches:batch 42", "--for", "2h", "--reason", "vendor re-sending");
    assertThat(added.exitCode()).as(added.err()).isZero();
    assertThat(added.out()).startsWith("silence 1: stuck_batches:batch 42 silenced until ")
        .contains("(vendor re-sending); end it early with 'sentinel silence remove 1'");

    Cli.Run listed = run("silence", "list");
    assertThat(listed.out()).startsWith("1  stuck_batches:batch 42  until ").contains("by oncall-ana: vendor re-sending");
    Cli.Run listedJson = run("silence", "list", "--json");
    assertThat(listedJson.exitCode()).as(listedJson.err()).isZero();
    JsonNode json = Json.readTree(listedJson.out().strip());
    assertThat(json.path("check").asText()).isEqualTo("stuck_batches");
    assertThat(json.path("subject").asText()).isEqualTo("batch 42");

    Cli.Run removed = run("silence", "remove", "1");
    assertThat(removed.exitCode()).isZero();
    assertThat(removed.out()).isEqualTo("silence 1 removed: its alerts are sent again from the next pass" + System.lineSeparator());
    assertThat(run("silence", "list").out()).isEqualTo("no silences in force" + System.lineSeparator());
  }

  @Test
  void anUnknownCheckIsRefusedWithTheChecksThereAre() {
    Cli.Run r = run("silence", "add", "stuck_batch", "--for", "1h", "--reason", "typo");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("error UNKNOWN_CHECK: no check is named 'stuck_batch'; use one of stuck_batches, error_spike, "
        + "schema_cache, lost_events, database, self, alerting" + System.lineSeparator());
    assertOneLineNoStackTrace(r);
  }

  @Test
  void aSilenceLongerThanThirtyDaysOrOfNothingIsRefused() {
    Cli.Run tooLong = run("silence", "add", "database", "--for", "31d", "--reason", "noisy");
    assertThat(tooLong.exitCode()).isEqualTo(2);
    assertThat(tooLong.err()).startsWith("error BAD_DURATION: --for must be more than 0 and at most 30d: 744h; "
        + "for longer, change the check's threshold instead");
    Cli.Run zero = run("silence", "add", "database", "--for", "0s", "--reason", "noisy");
    assertThat(zero.exitCode()).isEqualTo(2);
    assertThat(zero.err()).contains("'0s' is not a positive duration");
    Cli.Run blank = run("silence", "add", "database", "--for", "1h", "--reason", " ");
    assertThat(blank.exitCode()).isEqualTo(2);
    assertThat(blank.err()).startsWith("error MISSING_REASON: --reason must say why the alerts are silenced");
    Cli.Run noReason = run("silence", "add", "database", "--for", "1h");
    assertThat(noReason.exitCode()).isEqualTo(2);
    assertThat(noReason.err()).contains("--reason");
    assertOneLineNoStackTrace(tooLong);
  }

  @Test
  void removingASilenceThatIsNotInForceSaysSo() {
    Cli.Run r = run("silence", "remove", "99");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).isEqualTo("error NO_SUCH_SILENCE: no silence 99 is in force; see 'sentinel silence list'"
        + System.lineSeparator());
  }

  @Test
  void theReportShowsOpenIncidentsAndTheirSilence() {
    run("silence", "add", "stuck_batches", "--for", "1h", "--reason", "maintenance");
    db.jdbi().useHandle(h -> h.execute("""
        INSERT INTO intake.batches (source, object_key, object_version, status, owner_token, heartbeat_at, started_at,
                                    error_threshold_percent, redrives)
        VALUES ('judgments', 'incoming/judgments/s.csv', 'v1', 'staging', gen_random_uuid(), now() - interval '10 minutes',
                now(), 10, 3)"""));
    Cli.Run r = run("--json");
    JsonNode alerts = Json.readTree(r.out()).path("alerts");
    assertThat(alerts.path("incidents")).hasSize(1);
    JsonNode incident = alerts.path("incidents").get(0);
    assertThat(incident.path("check").asText()).isEqualTo("stuck_batches");
    assertThat(incident.path("severity").asText()).isEqualTo("critical");
    assertThat(incident.path("silence").asLong()).isEqualTo(1);
    assertThat(incident.path("silenced_until").asText()).isNotEmpty();
    assertThat(alerts.path("pending").asInt()).isZero();
  }

  @Test
  void alertVariablesThatDoNotFitTogetherStopThePassWithOneLine() {
    Cli.Run noChannel = runWith(Map.of("SLACK_BOT_TOKEN", "xoxb-not-a-real-token"), "--json");
    assertThat(noChannel.exitCode()).isEqualTo(3);
    assertThat(noChannel.err()).isEqualTo("error: SLACK_ALERTS_CHANNEL is not set: a bot token needs the channel critical "
        + "alerts go to" + System.lineSeparator());
    Cli.Run noToken = runWith(Map.of("SLACK_ALERTS_CHANNEL", "#alerts"));
    assertThat(noToken.exitCode()).isEqualTo(3);
    assertThat(noToken.err()).startsWith("error: SLACK_ALERTS_CHANNEL is set without SLACK_BOT_TOKEN");
    Cli.Run badUrl = runWith(Map.of("SLACK_WEBHOOK_URL", "hooks.slack.com/x"));
    assertThat(badUrl.err()).isEqualTo("error: SLACK_WEBHOOK_URL is not an http(s) URL: hooks.slack.com/x" + System.lineSeparator());
    Cli.Run badRepeat = runWith(Map.of("SENTINEL_ALERT_CLEAR_PASSES", "0"));
    assertThat(badRepeat.err()).startsWith("error: SENTINEL_ALERT_CLEAR_PASSES must be 1 or more: 0");
    assertThat(noChannel.out() + noChannel.err() + badUrl.err()).doesNotContain("xoxb-not-a-real-token");
  }

  @Test
  void anAlertsTopicWithoutAnAwsRegionIsOneLineAndUnknown() {
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("AWS_REGION") == null && System.getenv("AWS_DEFAULT_REGION") == null
        && System.getProperty("aws.region") == null && !java.nio.file.Files.exists(
        java.nio.file.Path.of(System.getProperty("user.home"), ".aws", "config")), "this machine has an AWS region configured");
    Cli.Run r = runWith(Map.of("ALERTS_TOPIC_ARN", "arn:aws:sns:us-east-1:000000000000:alerts"), "--json");
    assertThat(r.exitCode()).isEqualTo(3);
    assertThat(r.err()).startsWith("error: cannot set up AWS for ALERTS_TOPIC_ARN: ")
        .contains("(set AWS_REGION and credentials, or unset those variables)");
    assertOneLineNoStackTrace(r);
  }
}
