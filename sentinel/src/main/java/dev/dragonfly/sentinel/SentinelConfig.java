package dev.dragonfly.sentinel;

import static java.util.Objects.requireNonNull;

import dev.dragonfly.intake.DatabaseUrl;
import dev.dragonfly.intake.IntakeConfig;
import dev.dragonfly.sentinel.check.DatabaseCheck;
import dev.dragonfly.sentinel.check.ErrorSpike;
import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Everything the sentinel reads from its environment, in one place, for the daemon, the
 * one-shot pass and the scheduled function alike (README "Sentinel configuration"; names
 * match template.yaml). Durations are written {@code 10s}, {@code 5m}, {@code 1h} or ISO-8601.
 *
 * @param intake            the pipeline's settings: DATABASE_URL, INTAKE_STALE_AFTER (the stuck window), …
 * @param databaseSecretArn DATABASE_SECRET_ARN: the Secrets Manager secret holding the database URL (AWS)
 * @param instance          SENTINEL_INSTANCE: this sentinel's name in the audit (default host/pid)
 * @param interval          SENTINEL_INTERVAL: time between passes (default 1m; {@code --interval} overrides)
 * @param checkTimeLimit    SENTINEL_CHECK_TIME_LIMIT: each check's limit (default 10s), also the statement_timeout and
 *                          lock_timeout of the checks' database sessions, so that a check past its limit ends in the
 *                          database too
 * @param databasePoolSize  SENTINEL_DB_POOL_SIZE: the most database sessions the checks hold at once (default 5, one
 *                          per check that reads the database); an in-process re-drive has connections of its own
 * @param httpPort          SENTINEL_HTTP_PORT: /healthz and /metrics of {@code --loop} (default 9464; 0 picks one)
 * @param pingUrl           SENTINEL_PING_URL: dead-man's switch pinged every pass (optional)
 * @param maxRedrives       SENTINEL_MAX_REDRIVES: re-drives of one stuck batch before it is failed (default 3)
 * @param unknownPasses     SENTINEL_UNKNOWN_PASSES: passes a check may be unknown in a row before {@code self} warns (default 3)
 * @param eventsTopicArn    EVENTS_TOPIC_ARN: re-drives go there for the ingest function; without it they run in process
 * @param bucket            INTAKE_BUCKET: the bucket lost_events lists (optional; lost_events is skipped without it)
 * @param alerts            where and how often findings are sent (Slack, the alerts SNS topic)
 */
public record SentinelConfig(IntakeConfig intake, Optional<String> databaseSecretArn, String instance, Duration interval,
                             Duration checkTimeLimit, int databasePoolSize, int httpPort, Optional<URI> pingUrl, int maxRedrives,
                             int unknownPasses, Optional<String> eventsTopicArn, Optional<String> bucket,
                             ErrorSpike.Thresholds errorSpike, DatabaseCheck.Thresholds database,
                             LostEventsSettings lostEvents, PostgrestSettings postgrest, AlertSettings alerts) {

  /**
   * lost_events: SENTINEL_LOST_EVENTS_AGE (default 15m) an object waits before it counts as
   * lost; SENTINEL_LOST_EVENTS_PAGES (default 5) list pages of 1000 keys read per pass.
   */
  public record LostEventsSettings(Duration age, int pagesPerPass, int pageSize) {}

  /**
   * schema_cache: POSTGREST_URL (the API; the check is skipped without it), POSTGREST_ADMIN_URL
   * (its admin server, for /ready; optional), POSTGREST_SCHEMAS (its db-schemas, default
   * {@code public}), POSTGREST_NOTIFY_DATABASE_URL (a direct connection to the primary for the
   * reload NOTIFY, when DATABASE_URL goes through a pooler), POSTGREST_RELOAD_MIN_INTERVAL
   * (default 5m between reloads for one symptom) and POSTGREST_RELOAD_DEADLINE (default 20s of
   * probing after a reload).
   */
  public record PostgrestSettings(Optional<URI> url, Optional<URI> adminUrl, List<String> schemas,
                                  Optional<DatabaseUrl> notifyDatabaseUrl, Duration reloadMinInterval,
                                  Duration reloadDeadline) {
    public PostgrestSettings {
      schemas = List.copyOf(schemas);
    }
  }

  /**
   * Alerts (README "Alerts"). Slack: SLACK_BOT_TOKEN (or SLACK_BOT_TOKEN_SECRET_ARN, read from
   * Secrets Manager) with SLACK_ALERTS_CHANNEL and optionally SLACK_WARNINGS_CHANNEL; or, without
   * a token, SLACK_WEBHOOK_URL and optionally SLACK_WARNINGS_WEBHOOK_URL. SLACK_API_URL (default
   * Slack's own; GovSlack or a local stand-in), RUNBOOK_BASE_URL (where runbooks/ is published;
   * optional), ALERTS_TOPIC_ARN (CRITICAL alerts for paging; optional). SENTINEL_ALERT_REPEAT
   * (default 1h) before an unchanged incident is sent again, SENTINEL_ALERT_CLEAR_PASSES (default
   * 2) ok passes that resolve it, SENTINEL_ALERT_FLAP_WINDOW (default 1h) within which one that
   * comes back is held as one flapping incident, SENTINEL_ALERT_SEND_TIME_LIMIT (default 10s) a
   * pass may spend sending.
   */
  public record AlertSettings(Optional<String> slackToken, Optional<String> slackTokenSecretArn,
                              Optional<String> alertsChannel, Optional<String> warningsChannel,
                              Optional<URI> webhookUrl, Optional<URI> warningsWebhookUrl, URI slackApiUrl,
                              Optional<URI> runbookBaseUrl, Optional<String> alertsTopicArn, Duration repeatInterval,
                              int clearPasses, Duration flapWindow, Duration sendTimeLimit) {
    public static final URI SLACK_API_DEFAULT = URI.create("https://slack.com/api/");

    public AlertSettings {
      boolean bot = slackToken.isPresent() || slackTokenSecretArn.isPresent();
      if (bot && alertsChannel.isEmpty()) {
        throw new IllegalArgumentException("SLACK_ALERTS_CHANNEL is not set: a bot token needs the channel critical alerts go to");
      }
      if (!bot && (alertsChannel.isPresent() || warningsChannel.isPresent())) {
        throw new IllegalArgumentException("SLACK_ALERTS_CHANNEL is set without SLACK_BOT_TOKEN or SLACK_BOT_TOKEN_SECRET_ARN: "
            + "set one, or use SLACK_WEBHOOK_URL instead of channels");
      }
      if (warningsWebhookUrl.isPresent() && webhookUrl.isEmpty()) {
        throw new IllegalArgumentException("SLACK_WARNINGS_WEBHOOK_URL is set without SLACK_WEBHOOK_URL");
      }
      if (clearPasses < 1) throw new IllegalArgumentException("SENTINEL_ALERT_CLEAR_PASSES must be 1 or more: " + clearPasses);
      if (repeatInterval.isNegative() || repeatInterval.isZero()) throw new IllegalArgumentException("SENTINEL_ALERT_REPEAT must be more than 0: " + repeatInterval);
      if (flapWindow.isNegative()) throw new IllegalArgumentException("SENTINEL_ALERT_FLAP_WINDOW must not be negative: " + flapWindow);
      if (sendTimeLimit.isNegative() || sendTimeLimit.isZero()) {
        throw new IllegalArgumentException("SENTINEL_ALERT_SEND_TIME_LIMIT must be more than 0: " + sendTimeLimit);
      }
    }

    /** Alerts that send nowhere but the log: what tests and a bare local run use. */
    public static AlertSettings logOnly() {
      return new AlertSettings(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
          Optional.empty(), SLACK_API_DEFAULT, Optional.empty(), Optional.empty(), Duration.ofHours(1), 2,
          Duration.ofHours(1), Duration.ofSeconds(10));
    }

    /** Never prints the token or the webhook URLs (a webhook URL is a credential too). */
    @Override public String toString() {
      return "AlertSettings[slack=" + (slackToken.isPresent() || slackTokenSecretArn.isPresent() ? "bot token" : webhookUrl.isPresent()
          ? "webhook" : "none") + ", alertsChannel=" + alertsChannel.orElse("-") + ", warningsChannel="
          + warningsChannel.orElse("-") + ", alertsTopic=" + alertsTopicArn.orElse("-") + ", repeat=" + repeatInterval
          + ", clearPasses=" + clearPasses + ", flapWindow=" + flapWindow + "]";
    }
  }

  /** One session for each check that reads the database, so that they run side by side without waiting. */
  static final int DATABASE_POOL_SIZE_DEFAULT = 5;

  public SentinelConfig {
    requireNonNull(intake, "intake == null");
    requireNonNull(instance, "instance == null");
    if (checkTimeLimit.isNegative() || checkTimeLimit.isZero()) {
      throw new IllegalArgumentException("SENTINEL_CHECK_TIME_LIMIT must be more than 0: " + checkTimeLimit);
    }
    if (databasePoolSize < 1) throw new IllegalArgumentException("SENTINEL_DB_POOL_SIZE must be 1 or more: " + databasePoolSize);
    if (maxRedrives < 0) throw new IllegalArgumentException("SENTINEL_MAX_REDRIVES must be 0 or more: " + maxRedrives);
    if (unknownPasses < 1) throw new IllegalArgumentException("SENTINEL_UNKNOWN_PASSES must be 1 or more: " + unknownPasses);
    if (httpPort < 0 || httpPort > 65535) throw new IllegalArgumentException("SENTINEL_HTTP_PORT is not a port: " + httpPort);
  }

  /** @throws IllegalArgumentException naming the variable and the value that is wrong */
  public static SentinelConfig fromEnv(Map<String, String> env) {
    Env e = new Env(env);
    return new SentinelConfig(
        IntakeConfig.fromEnv(env),
        e.text("DATABASE_SECRET_ARN"),
        e.text("SENTINEL_INSTANCE").orElseGet(() -> defaultInstance(env)),
        e.duration("SENTINEL_INTERVAL", Duration.ofMinutes(1)),
        e.duration("SENTINEL_CHECK_TIME_LIMIT", Duration.ofSeconds(10)),
        e.integer("SENTINEL_DB_POOL_SIZE", DATABASE_POOL_SIZE_DEFAULT),
        e.integer("SENTINEL_HTTP_PORT", 9464),
        e.text("SENTINEL_PING_URL").map(u -> e.uri("SENTINEL_PING_URL", u)),
        e.integer("SENTINEL_MAX_REDRIVES", 3),
        e.integer("SENTINEL_UNKNOWN_PASSES", 3),
        e.text("EVENTS_TOPIC_ARN"),
        e.text("INTAKE_BUCKET"),
        new ErrorSpike.Thresholds(
            e.duration("SENTINEL_ERROR_SPIKE_WINDOW", Duration.ofHours(1)),
            e.percent("SENTINEL_ERROR_SPIKE_WARNING_PERCENT", "10"),
            e.percent("SENTINEL_ERROR_SPIKE_CRITICAL_PERCENT", "50"),
            e.integer("SENTINEL_ERROR_SPIKE_MIN_ROWS", 100),
            e.percent("SENTINEL_ERROR_SPIKE_REJECTED_FILES_PERCENT",
                ErrorSpike.Thresholds.REJECTED_FILES_PERCENT_DEFAULT.toPlainString()),
            e.integer("SENTINEL_ERROR_SPIKE_MIN_BATCHES", (int) ErrorSpike.Thresholds.MIN_BATCHES_DEFAULT)),
        new DatabaseCheck.Thresholds(
            e.integer("SENTINEL_DB_CONNECTIONS_WARNING_PERCENT", 80),
            e.integer("SENTINEL_DB_CONNECTIONS_CRITICAL_PERCENT", 95),
            e.duration("SENTINEL_DB_IDLE_IN_TRANSACTION", Duration.ofMinutes(5)),
            e.duration("SENTINEL_DB_LOCK_WAIT", Duration.ofMinutes(1))),
        new LostEventsSettings(
            e.duration("SENTINEL_LOST_EVENTS_AGE", Duration.ofMinutes(15)),
            e.integer("SENTINEL_LOST_EVENTS_PAGES", 5),
            1000),
        new PostgrestSettings(
            e.text("POSTGREST_URL").map(u -> e.uri("POSTGREST_URL", u)),
            e.text("POSTGREST_ADMIN_URL").map(u -> e.uri("POSTGREST_ADMIN_URL", u)),
            e.text("POSTGREST_SCHEMAS").map(s -> Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList())
                .orElse(List.of("public")),
            e.text("POSTGREST_NOTIFY_DATABASE_URL").map(DatabaseUrl::parse),
            e.duration("POSTGREST_RELOAD_MIN_INTERVAL", Duration.ofMinutes(5)),
            e.duration("POSTGREST_RELOAD_DEADLINE", Duration.ofSeconds(20))),
        new AlertSettings(
            e.text("SLACK_BOT_TOKEN"),
            e.text("SLACK_BOT_TOKEN_SECRET_ARN"),
            e.text("SLACK_ALERTS_CHANNEL"),
            e.text("SLACK_WARNINGS_CHANNEL"),
            e.text("SLACK_WEBHOOK_URL").map(u -> e.uri("SLACK_WEBHOOK_URL", u)),
            e.text("SLACK_WARNINGS_WEBHOOK_URL").map(u -> e.uri("SLACK_WARNINGS_WEBHOOK_URL", u)),
            e.text("SLACK_API_URL").map(u -> e.uri("SLACK_API_URL", u.endsWith("/") ? u : u + "/"))
                .orElse(AlertSettings.SLACK_API_DEFAULT),
            e.text("RUNBOOK_BASE_URL").map(u -> e.uri("RUNBOOK_BASE_URL", u)),
            e.text("ALERTS_TOPIC_ARN"),
            e.duration("SENTINEL_ALERT_REPEAT", Duration.ofHours(1)),
            e.integer("SENTINEL_ALERT_CLEAR_PASSES", 2),
            e.duration("SENTINEL_ALERT_FLAP_WINDOW", Duration.ofHours(1)),
            e.duration("SENTINEL_ALERT_SEND_TIME_LIMIT", Duration.ofSeconds(10))));
  }

  public SentinelConfig withInterval(Duration interval) {
    return new SentinelConfig(intake, databaseSecretArn, instance, interval, checkTimeLimit, databasePoolSize, httpPort, pingUrl,
        maxRedrives, unknownPasses, eventsTopicArn, bucket, errorSpike, database, lostEvents, postgrest, alerts);
  }

  public SentinelConfig withHttpPort(int httpPort) {
    return new SentinelConfig(intake, databaseSecretArn, instance, interval, checkTimeLimit, databasePoolSize, httpPort, pingUrl,
        maxRedrives, unknownPasses, eventsTopicArn, bucket, errorSpike, database, lostEvents, postgrest, alerts);
  }

  /** host/pid outside AWS; in Lambda, the function's log stream, one per container. */
  private static String defaultInstance(Map<String, String> env) {
    String stream = env.get("AWS_LAMBDA_LOG_STREAM_NAME");
    if (stream != null && !stream.isBlank()) return env.getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "sentinel") + "/" + stream;
    String host = env.get("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.net.UnknownHostException ex) {
        host = "sentinel-" + UUID.randomUUID().toString().substring(0, 8);
      }
    }
    return host + "/" + ProcessHandle.current().pid();
  }

  /** Reads and checks one variable at a time, so that every mistake names its variable. */
  private record Env(Map<String, String> env) {
    Optional<String> text(String name) {
      String v = env.get(name);
      return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    Duration duration(String name, Duration fallback) {
      return text(name).map(v -> {
        try {
          return Durations.parse(v);
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException(name + ": " + ex.getMessage());
        }
      }).orElse(fallback);
    }

    int integer(String name, int fallback) {
      return text(name).map(v -> {
        try {
          return Integer.parseInt(v);
        } catch (NumberFormatException ex) {
          throw new IllegalArgumentException(name + " is not a whole number: " + v);
        }
      }).orElse(fallback);
    }

    BigDecimal percent(String name, String fallback) {
      String v = text(name).orElse(fallback);
      try {
        BigDecimal p = new BigDecimal(v);
        if (p.signum() < 0 || p.compareTo(BigDecimal.valueOf(100)) > 0) throw new NumberFormatException();
        return p;
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException(name + " is not a percentage from 0 to 100: " + v);
      }
    }

    URI uri(String name, String v) {
      try {
        URI u = URI.create(v);
        if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
          throw new IllegalArgumentException();
        }
        return u;
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(name + " is not an http(s) URL: " + v);
      }
    }
  }
}
