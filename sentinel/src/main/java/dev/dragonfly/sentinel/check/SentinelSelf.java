package dev.dragonfly.sentinel.check;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code self} (runbooks/sentinel-self.md): the sentinel watching itself. Its own previous pass
 * is older than three intervals (a pass hung, the machine paused, its schedule skipped: from
 * when to when); a check has been {@code unknown} for several passes running. Only a gap
 * between two passes of this running sentinel counts: a start after a deploy, a restart or
 * someone's one-shot pass is not one (see {@link PassHistory}). It also says when checks that were
 * unknown run again. It runs after the other checks of the pass, to see their statuses. The
 * dead-man's switch, which notices a sentinel that is down altogether, is pinged by the pass.
 */
public final class SentinelSelf implements Check {
  public static final String NAME = "self";

  private final PassHistory history;
  private final Duration interval;
  private final int unknownPassesLimit;

  public SentinelSelf(PassHistory history, Duration interval, int unknownPassesLimit) {
    this.history = history;
    this.interval = interval;
    this.unknownPassesLimit = unknownPassesLimit;
  }

  @Override public String name() {
    return NAME;
  }

  @Override public CheckResult run(Instant now) {
    PassHistory.Previous previous = history.previous();
    Map<String, Status> current = history.current();
    List<Finding> findings = new ArrayList<>();
    List<String> notes = new ArrayList<>();

    previous.lastPassAt().ifPresent(last -> {
      Duration gap = Duration.between(last, now);
      if (gap.compareTo(interval.multipliedBy(3)) > 0) {
        findings.add(new Finding("sentinel", Status.WARNING, "no sentinel pass from " + last + " to " + now + " ("
            + StuckBatches.human(gap) + "; passes are due every " + StuckBatches.human(interval)
            + "): this sentinel was running but did not pass (a pass hung, or it was paused)", Map.of("last_pass_at", last.toString(), "gap_seconds", gap.toSeconds())));
      }
    });
    current.forEach((check, status) -> {
      PassHistory.Streak streak = previous.unknown().get(check);
      if (status == Status.UNKNOWN) {
        int passes = streak == null ? 1 : streak.passes() + 1;
        Instant since = streak == null ? now : streak.since();
        if (passes >= unknownPassesLimit) {
          findings.add(new Finding("check " + check, Status.WARNING, "check " + check + " could not run for " + passes
              + " passes in a row, since " + since + "; see its line in this report",
              Map.of("check", check, "passes", passes, "since", since.toString())));
        }
      } else if (streak != null) {
        notes.add(check + " runs again after " + streak.passes() + " unknown pass(es) since " + streak.since());
      }
    });

    Map<String, Object> details = new LinkedHashMap<>();
    details.put("interval_seconds", interval.toSeconds());
    details.put("unknown_passes_limit", unknownPassesLimit);
    previous.lastPassAt().ifPresent(t -> details.put("previous_pass_at", t.toString()));
    previous.before().ifPresent(t -> details.put("last_pass_before_this_sentinel_started", t));
    if (!notes.isEmpty()) details.put("recovered", notes);
    if (findings.isEmpty()) {
      String summary = notes.isEmpty() ? "passes on time" : "passes on time; " + String.join("; ", notes);
      return CheckResult.of(NAME, Status.OK, summary).withDetails(details);
    }
    String summary = findings.stream().map(Finding::summary).collect(Collectors.joining("; "))
        + (notes.isEmpty() ? "" : "; " + String.join("; ", notes));
    return new CheckResult(NAME, CheckResult.worstOf(findings), summary, details, findings, List.of());
  }
}
