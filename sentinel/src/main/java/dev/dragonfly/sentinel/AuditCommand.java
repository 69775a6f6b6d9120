package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Json;
import dev.dragonfly.sentinel.heal.Audit;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Shows what the sentinel healed: every re-drive, force-fail and schema reload, oldest first. */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "Show the sentinel's self-heals (intake.sentinel_audit): when, which sentinel, what, and the state before and after.",
    footer = {"", "Exit codes: 0 shown (also when there is nothing to show), 2 bad usage."})
final class AuditCommand implements Callable<Integer> {
  @ParentCommand SentinelCli root;
  @Spec CommandSpec spec;

  @Option(names = "--since", paramLabel = "DURATION", converter = SentinelCli.DurationConverter.class,
      description = "How far back, e.g. 1h, 24h or 7d (default 24h).")
  Duration since = Duration.ofHours(24);

  @Option(names = "--json", description = "One JSON object per heal.")
  boolean json;

  @Override public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    List<Audit.Entry> entries = Audit.since(root.connector().migratedDatabase().jdbi(), Clock.systemUTC().instant().minus(since));
    if (entries.isEmpty() && !json) {
      out.println("no self-heals in the last " + since.toHours() + " h");
      return ExitCodes.OK;
    }
    for (Audit.Entry e : entries) {
      out.println(json ? Json.write(e) : e.at().toInstant() + "  " + e.instance() + "  " + e.checkName() + "  " + e.subject()
          + "  " + e.action() + ": " + e.stateBefore() + " -> " + e.stateAfter() + (e.detail() == null ? "" : "  (" + e.detail() + ")"));
    }
    return ExitCodes.OK;
  }
}
