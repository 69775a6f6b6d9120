package dev.dragonfly.sentinel;

import dev.dragonfly.sentinel.alert.AlertSummary;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Status;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One pass: every check's result and the verdict, as {@code sentinel --json} prints it (README
 * "The sentinel's report"). {@code schema_version} changes only when a field changes meaning
 * or goes away; new fields may appear at any time.
 *
 * @param sentinel       the instance that ran the pass
 * @param deadMansSwitch what the ping said, or null with no {@code SENTINEL_PING_URL}
 * @param alerts         open incidents, what was announced and sent, the outbox (null: alerts not run)
 */
public record Report(int schemaVersion, String sentinel, Instant startedAt, long durationMs, Status status,
                     List<CheckResult> checks, String deadMansSwitch, AlertSummary alerts) {
  public static final int SCHEMA_VERSION = 1;

  public Report {
    checks = List.copyOf(checks);
  }

  /** One line per check: status, name, summary. */
  public String lines() {
    return checks.stream()
        .map(c -> String.format(Locale.ROOT, "%-9s%-15s%s", c.status().label().toUpperCase(Locale.ROOT), c.check(), c.summary()))
        .collect(Collectors.joining(System.lineSeparator()));
  }

  public CheckResult check(String name) {
    return checks.stream().filter(c -> c.check().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no check named " + name));
  }
}
