package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Batch;
import dev.dragonfly.intake.Json;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Lists recent batches, newest first. */
@Command(name = "list", mixinStandardHelpOptions = true, description = "List recent batches, newest first.")
final class BatchListCommand implements Callable<Integer> {
  @ParentCommand BatchCommand parent;
  @Spec CommandSpec spec;

  @Option(names = "--limit", defaultValue = "20", paramLabel = "N", description = "How many (default ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--json", description = "One JSON array of batches.")
  boolean json;

  @Override public Integer call() {
    if (limit < 1) throw new UserMistake("--limit must be at least 1: " + limit);
    List<Batch> batches = parent.batches().recent(limit);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(Json.write(batches));
      return ExitCodes.OK;
    }
    out.printf("%-8s %-12s %-11s %10s %10s  %-25s %s%n", "ID", "SOURCE", "STATUS", "ROWS", "INVALID", "CREATED", "FILE");
    for (Batch b : batches) {
      out.printf("%-8d %-12s %-11s %10s %10s  %-25s %s%n", b.id(), b.source(),
          b.status() + (b.dryRun() ? "*" : ""), orDash(b.rowsTotal()), orDash(b.rowsInvalid()),
          b.createdAt().withNano(0), Path.of(b.objectKey()).getFileName());
    }
    if (batches.stream().anyMatch(Batch::dryRun)) out.println("* dry run");
    return ExitCodes.OK;
  }

  private static String orDash(Long n) {
    return n == null ? "-" : n.toString();
  }
}
