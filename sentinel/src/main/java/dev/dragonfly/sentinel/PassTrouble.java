package dev.dragonfly.sentinel;

import dev.dragonfly.sentinel.alert.AlertSummary;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Why a pass cannot be trusted to have told anyone: it was {@code unknown} (what it watches could
 * not be seen, e.g. the database is down), or its alerts could not be decided or delivered
 * (incidents and the outbox live in the database; Slack or SNS refused). Such a pass pings the
 * dead-man's switch's {@code /fail} and turns {@code /healthz} to 503, so that something outside
 * the sentinel tells a person (runbooks/sentinel-self.md, "When the sentinel cannot tell anyone").
 */
final class PassTrouble {
  private PassTrouble() {}

  /** The reason in one line, with what to run; empty when the pass saw and reported what it should. */
  static Optional<String> of(Status status, List<CheckResult> checks, AlertSummary alerts) {
    List<String> reasons = new ArrayList<>();
    if (status == Status.UNKNOWN) {
      reasons.add("the pass is unknown (" + checks.stream().filter(c -> c.status() == Status.UNKNOWN)
          .map(c -> c.check() + ": " + c.summary()).collect(Collectors.joining("; ")) + ")");
    }
    if (alerts != null && !alerts.problems().isEmpty()) reasons.add(String.join("; ", alerts.problems()));
    if (reasons.isEmpty()) return Optional.empty();
    return Optional.of(String.join("; ", reasons) + "; run 'sentinel doctor', and see runbooks/sentinel-self.md");
  }

  static Optional<String> of(Report report) {
    return of(report.status(), report.checks(), report.alerts());
  }
}
