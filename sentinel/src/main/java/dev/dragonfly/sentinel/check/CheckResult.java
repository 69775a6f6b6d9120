package dev.dragonfly.sentinel.check;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one check said in one pass.
 *
 * @param check    the check's name
 * @param summary  one line for a terminal or a log: what is wrong and what to run, or why all is well
 * @param details  structured facts about the check as a whole (counts, thresholds, configuration)
 * @param findings the subjects found wrong, each with its own status
 * @param actions  what the check healed in this pass (also in the audit table)
 */
public record CheckResult(String check, Status status, String summary, Map<String, Object> details,
                          List<Finding> findings, List<Action> actions) {
  public CheckResult {
    requireNonNull(check, "check == null");
    requireNonNull(status, "status == null");
    requireNonNull(summary, "summary == null");
    details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
    findings = List.copyOf(findings);
    actions = List.copyOf(actions);
  }

  public static CheckResult of(String check, Status status, String summary) {
    return new CheckResult(check, status, summary, Map.of(), List.of(), List.of());
  }

  /** What a check whose dependency is not configured says: what to set to enable it. */
  public static CheckResult skipped(String check, String whatToSet) {
    return of(check, Status.SKIPPED, "not configured: " + whatToSet);
  }

  public CheckResult withDetails(Map<String, Object> details) {
    return new CheckResult(check, status, summary, details, findings, actions);
  }

  public CheckResult withFindings(List<Finding> findings) {
    return new CheckResult(check, status, summary, details, findings, actions);
  }

  public CheckResult withActions(List<Action> actions) {
    return new CheckResult(check, status, summary, details, findings, actions);
  }

  /** The worst status of the findings, or ok when there are none. */
  public static Status worstOf(List<Finding> findings) {
    return Status.worst(findings.stream().map(Finding::status).toList());
  }
}
