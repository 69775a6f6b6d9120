package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Json;
import dev.dragonfly.sentinel.alert.Alerts;
import dev.dragonfly.sentinel.alert.Silences;
import dev.dragonfly.sentinel.check.DatabaseCheck;
import dev.dragonfly.sentinel.check.ErrorSpike;
import dev.dragonfly.sentinel.check.LostEvents;
import dev.dragonfly.sentinel.check.SchemaCache;
import dev.dragonfly.sentinel.check.SentinelSelf;
import dev.dragonfly.sentinel.check.StuckBatches;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sentinel silence add | list | remove}: keep a check, or one subject of it, from being
 * sent for a while, with a reason. Silenced incidents are still recorded and shown in the
 * report; a silence ends by itself (runbooks/alerts.md).
 */
@Command(name = "silence", mixinStandardHelpOptions = true,
    description = "Silence alerts of a check, or of one subject of it, for a while (they are still recorded and reported).",
    footer = {"", "Checks: stuck_batches, error_spike, schema_cache, lost_events, database, self, alerting.",
        "Exit codes: 0 done, 2 bad usage (unknown check, bad duration, no such silence)."})
final class SilenceCommand implements Runnable {
  static final List<String> CHECKS = List.of(StuckBatches.NAME, ErrorSpike.NAME, SchemaCache.NAME, LostEvents.NAME,
      DatabaseCheck.NAME, SentinelSelf.NAME, Alerts.ALERTING);

  @ParentCommand SentinelCli root;
  @Spec CommandSpec spec;

  @Override public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a silence command: add, list or remove");
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Silence CHECK (every subject) or CHECK:SUBJECT (e.g. 'stuck_batches:batch 42') for --for.")
  int add(@Parameters(paramLabel = "CHECK[:SUBJECT]") String target,
          @Option(names = "--for", required = true, paramLabel = "DURATION", converter = SentinelCli.DurationConverter.class,
              description = "How long, e.g. 30m, 2h or 1d (at most 30d).") Duration duration,
          @Option(names = "--reason", required = true, paramLabel = "R", description = "Why: shown in the report and 'silence list'.")
          String reason,
          @Option(names = "--by", paramLabel = "NAME", description = "Who silences it (default: $USER).") String by) {
    int colon = target.indexOf(':');
    String check = (colon < 0 ? target : target.substring(0, colon)).trim();
    Optional<String> subject = colon < 0 ? Optional.empty() : Optional.of(target.substring(colon + 1).trim()).filter(s -> !s.isEmpty());
    if (!CHECKS.contains(check)) {
      throw new UserMistake("UNKNOWN_CHECK", "no check is named '" + check + "'; use one of " + String.join(", ", CHECKS));
    }
    if (duration.isNegative() || duration.isZero() || duration.compareTo(Silences.LONGEST) > 0) {
      throw new UserMistake("BAD_DURATION", "--for must be more than 0 and at most 30d: " + duration.toString().substring(2).toLowerCase(java.util.Locale.ROOT)
          + "; for longer, change the check's threshold instead");
    }
    if (reason.isBlank()) throw new UserMistake("MISSING_REASON", "--reason must say why the alerts are silenced");
    String who = by != null && !by.isBlank() ? by.trim() : root.connector().user();
    var now = Clock.systemUTC().instant();
    long id = silences().add(check, subject, duration, reason.trim(), who, now);
    spec.commandLine().getOut().println("silence " + id + ": " + check + subject.map(s -> ":" + s).orElse("")
        + " silenced until " + now.plus(duration).truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + " (" + reason.trim()
        + "); end it early with 'sentinel silence remove " + id + "'");
    return ExitCodes.OK;
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Silences in force now, oldest first.")
  int list(@Option(names = "--json", description = "One JSON object per silence.") boolean json) {
    PrintWriter out = spec.commandLine().getOut();
    List<Silences.Silence> active = silences().active(Clock.systemUTC().instant());
    if (active.isEmpty() && !json) out.println("no silences in force");
    for (Silences.Silence s : active) {
      out.println(json ? Json.write(s) : s.id() + "  " + s.target() + "  until " + s.expiresAt() + "  by " + s.createdBy()
          + ": " + s.reason());
    }
    return ExitCodes.OK;
  }

  @Command(name = "remove", mixinStandardHelpOptions = true, description = "End a silence now.")
  int remove(@Parameters(paramLabel = "ID") long id) {
    if (!silences().remove(id, Clock.systemUTC().instant())) {
      throw new UserMistake("NO_SUCH_SILENCE", "no silence " + id + " is in force; see 'sentinel silence list'");
    }
    spec.commandLine().getOut().println("silence " + id + " removed: its alerts are sent again from the next pass");
    return ExitCodes.OK;
  }

  private Silences silences() {
    return new Silences(root.connector().migratedDatabase().jdbi());
  }
}
