package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the intake pipeline reads from its environment, validated once.
 *
 * @param databaseUrl   {@code DATABASE_URL}; empty means "the caller supplies a database"
 * @param heartbeatInterval {@code INTAKE_HEARTBEAT_INTERVAL}, ISO-8601 (default PT10S)
 * @param staleAfter    {@code INTAKE_STALE_AFTER}: a claim whose heartbeat is silent this long
 *                      may be taken over (default PT45S: under the one-minute wait before Lambda's
 *                      first retry, so that retry takes over a dead worker's batch; README "Timing")
 * @param chunkRows     {@code INTAKE_CHUNK_ROWS}: rows parsed ahead and loaded together (default 4096)
 * @param transientRetries {@code INTAKE_TRANSIENT_RETRIES}: in-process retries of a deadlock, a
 *                      serialization failure or a dropped connection (default 3)
 * @param statementTimeout {@code INTAKE_STATEMENT_TIMEOUT}: the longest one statement the server runs
 *                      for a load may take (default PT10M, under Lambda's 15-minute limit), such as a
 *                      merge waiting for a lock; README "Timing"
 */
public record IntakeConfig(Optional<DatabaseUrl> databaseUrl, Duration heartbeatInterval,
                           Duration staleAfter, int chunkRows, int transientRetries, Duration statementTimeout) {
  public static final Duration HEARTBEAT_INTERVAL_DEFAULT = Duration.ofSeconds(10);
  public static final Duration STALE_AFTER_DEFAULT = Duration.ofSeconds(45);
  public static final int CHUNK_ROWS_DEFAULT = 4096;
  public static final int TRANSIENT_RETRIES_DEFAULT = 3;
  public static final Duration STATEMENT_TIMEOUT_DEFAULT = Duration.ofMinutes(10);

  public IntakeConfig {
    requireNonNull(databaseUrl, "databaseUrl == null");
    positive(heartbeatInterval, "heartbeatInterval");
    positive(staleAfter, "staleAfter");
    if (staleAfter.compareTo(heartbeatInterval.multipliedBy(3)) < 0)
      throw new IllegalArgumentException("staleAfter < 3 * heartbeatInterval: " + staleAfter + " < 3 * " + heartbeatInterval);
    if (chunkRows < 1) throw new IllegalArgumentException("chunkRows < 1: " + chunkRows);
    if (transientRetries < 0 || transientRetries > 10)
      throw new IllegalArgumentException("transientRetries not in 0..10: " + transientRetries);
    positive(statementTimeout, "statementTimeout");
  }

  public static IntakeConfig defaults() {
    return new IntakeConfig(Optional.empty(), HEARTBEAT_INTERVAL_DEFAULT, STALE_AFTER_DEFAULT, CHUNK_ROWS_DEFAULT,
        TRANSIENT_RETRIES_DEFAULT, STATEMENT_TIMEOUT_DEFAULT);
  }

  /** Reads the variables named above; a malformed value fails with its name and value. */
  public static IntakeConfig fromEnv(Map<String, String> env) {
    return new IntakeConfig(
        Optional.ofNullable(blankToNull(env.get("DATABASE_URL"))).map(DatabaseUrl::parse),
        duration(env, "INTAKE_HEARTBEAT_INTERVAL", HEARTBEAT_INTERVAL_DEFAULT),
        duration(env, "INTAKE_STALE_AFTER", STALE_AFTER_DEFAULT),
        integer(env, "INTAKE_CHUNK_ROWS", CHUNK_ROWS_DEFAULT),
        integer(env, "INTAKE_TRANSIENT_RETRIES", TRANSIENT_RETRIES_DEFAULT),
        duration(env, "INTAKE_STATEMENT_TIMEOUT", STATEMENT_TIMEOUT_DEFAULT));
  }

  public IntakeConfig withDatabaseUrl(DatabaseUrl url) {
    return new IntakeConfig(Optional.of(url), heartbeatInterval, staleAfter, chunkRows, transientRetries, statementTimeout);
  }

  public IntakeConfig withChunkRows(int chunkRows) {
    return new IntakeConfig(databaseUrl, heartbeatInterval, staleAfter, chunkRows, transientRetries, statementTimeout);
  }

  public IntakeConfig withTiming(Duration heartbeatInterval, Duration staleAfter) {
    return new IntakeConfig(databaseUrl, heartbeatInterval, staleAfter, chunkRows, transientRetries, statementTimeout);
  }

  public IntakeConfig withTransientRetries(int transientRetries) {
    return new IntakeConfig(databaseUrl, heartbeatInterval, staleAfter, chunkRows, transientRetries, statementTimeout);
  }

  public IntakeConfig withStatementTimeout(Duration statementTimeout) {
    return new IntakeConfig(databaseUrl, heartbeatInterval, staleAfter, chunkRows, transientRetries, statementTimeout);
  }

  /**
   * The server ends a load transaction idle this long: half the stale window, so a paused
   * worker's locks are gone before another worker may take its batch over (a taken-over batch
   * would otherwise wait on its old owner's uncommitted rows).
   */
  public Duration idleInTransactionTimeout() {
    return staleAfter.dividedBy(2);
  }

  private static void positive(Duration d, String name) {
    requireNonNull(d, name + " == null");
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " <= 0: " + d);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  private static Duration duration(Map<String, String> env, String name, Duration fallback) {
    String raw = blankToNull(env.get(name));
    if (raw == null) return fallback;
    try {
      return Duration.parse(raw);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(name + " is not an ISO-8601 duration such as PT10S: " + raw);
    }
  }

  private static int integer(Map<String, String> env, String name, int fallback) {
    String raw = blankToNull(env.get(name));
    if (raw == null) return fallback;
    try {
      return Integer.parseInt(raw);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " is not an integer: " + raw);
    }
  }
}
