package dev.dragonfly.sentinel.check;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Collection;
import java.util.Locale;

/**
 * A check's verdict, with the Nagios plugin exit codes (0 ok, 1 warning, 2 critical, 3 unknown)
 * that {@code sentinel --json} exits with.
 */
public enum Status {
  OK(0, 0), SKIPPED(0, 0), UNKNOWN(3, 1), WARNING(1, 2), CRITICAL(2, 3);

  private final int exitCode;
  private final int rank;

  Status(int exitCode, int rank) {
    this.exitCode = exitCode;
    this.rank = rank;
  }

  public int exitCode() {
    return exitCode;
  }

  /** As written in reports and metrics: {@code ok}, {@code warning}, … */
  @JsonValue
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The pass's verdict: the worst of its checks, where a finding (warning, critical) outranks
   * not knowing, and skipped counts as ok. A pass that saw a critical problem says so even if
   * another check could not run.
   */
  public static Status worst(Collection<Status> statuses) {
    Status worst = OK;
    for (Status s : statuses) if (s.rank > worst.rank) worst = s;
    return worst;
  }

  public boolean atLeast(Status other) {
    return rank >= other.rank;
  }
}
