package dev.dragonfly.sentinel.check;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dragonfly.sentinel.heal.SentinelState;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What earlier passes saw, for the {@code self} check: when this sentinel's last pass ran, and
 * which checks have been unknown how many passes in a row.
 *
 * <p>The time of the last pass is this process's own: a gap is only ever between two passes of
 * one running sentinel. The database copy of it is anyone's last pass (a one-shot from a shell,
 * the daemon before its restart), so a daemon starting 40 s after someone's one-shot pass, or
 * after a deploy, would report its own start as a gap; a sentinel that was down is what the
 * dead-man's switch tells (it notices while the sentinel is down, which a pass cannot). The
 * unknown streaks are kept in {@code intake.sentinel_state} too, read once on the first pass,
 * so that a scheduled function (often a new process) still counts them.
 */
public final class PassHistory {
  private static final Logger log = LoggerFactory.getLogger(PassHistory.class);

  /** A check unknown {@code passes} passes in a row, since {@code since}. */
  public record Streak(int passes, Instant since) {}

  /**
   * What the previous pass left: {@code lastPassAt} is this process's previous pass (none on its
   * first), {@code before} the last pass recorded by any sentinel before this process started.
   */
  public record Previous(Optional<Instant> lastPassAt, Map<String, Streak> unknown, Optional<String> before) {
    static final Previous NONE = new Previous(Optional.empty(), Map.of(), Optional.empty());
  }

  private final Optional<SentinelState> state;
  private Previous previous;
  private Map<String, Status> current = Map.of();

  public PassHistory(Optional<SentinelState> state) {
    this.state = state;
  }

  /** What the previous pass left; on the first call, read from the database when it answers. */
  public synchronized Previous previous() {
    if (previous == null) previous = load();
    return previous;
  }

  /** The statuses of this pass's other checks, set before {@code self} runs. */
  public synchronized void current(Map<String, Status> statuses) {
    this.current = Map.copyOf(statuses);
  }

  synchronized Map<String, Status> current() {
    return current;
  }

  /** Notes a finished pass: in memory always, in the database when it answers. */
  public synchronized void record(Instant at, List<CheckResult> results, String instance) {
    Map<String, Streak> before = previous().unknown();
    Map<String, Streak> unknown = new LinkedHashMap<>();
    for (CheckResult r : results) {
      if (r.status() != Status.UNKNOWN) continue;
      Streak s = before.get(r.check());
      unknown.put(r.check(), s == null ? new Streak(1, at) : new Streak(s.passes() + 1, s.since()));
    }
    previous = new Previous(Optional.of(at), unknown, Optional.empty());
    state.ifPresent(st -> {
      try {
        Map<String, Object> streaks = new HashMap<>();
        unknown.forEach((check, s) -> streaks.put(check, Map.of("passes", s.passes(), "since", s.since().toString())));
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("pass", Map.of("at", at.toString(), "instance", instance));
        values.put("streaks", streaks);
        st.write(values, at); // one connection: a pass pays for each one it opens
      } catch (RuntimeException e) {
        log.debug("pass history not saved (the database is not answering): {}", e.getMessage());
      }
    });
  }

  private Previous load() {
    if (state.isEmpty()) return Previous.NONE;
    try {
      Map<String, JsonNode> values = state.get().read("pass", "streaks");
      Optional<String> before = Optional.ofNullable(values.get("pass"))
          .map(n -> n.path("at").asText() + " by " + n.path("instance").asText());
      Map<String, Streak> unknown = new LinkedHashMap<>();
      Optional.ofNullable(values.get("streaks")).ifPresent(n -> n.fields().forEachRemaining(e -> {
        JsonNode v = e.getValue();
        unknown.put(e.getKey(), new Streak(v.path("passes").asInt(), Instant.parse(v.path("since").asText())));
      }));
      return new Previous(Optional.empty(), unknown, before);
    } catch (RuntimeException e) {
      log.debug("pass history not read (the database is not answering): {}", e.getMessage());
      return Previous.NONE;
    }
  }
}
