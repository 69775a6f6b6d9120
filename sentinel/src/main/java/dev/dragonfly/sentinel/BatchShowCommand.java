package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Batch;
import dev.dragonfly.intake.Json;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Shows one batch in full. */
@Command(name = "show", mixinStandardHelpOptions = true, description = "Show one batch: status, counts, reason.")
final class BatchShowCommand implements Callable<Integer> {
  @ParentCommand BatchCommand parent;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "Batch id.")
  long id;

  @Option(names = "--json", description = "One JSON object.")
  boolean json;

  @Override public Integer call() {
    Batch b = parent.batches().require(id);
    PrintWriter out = spec.commandLine().getOut();
    var attempts = parent.batches().attempts(id);
    if (json) {
      var node = (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.valueToTree(b);
      node.set("attempts", Json.MAPPER.valueToTree(attempts));
      out.println(Json.write(node));
      return ExitCodes.OK;
    }
    out.println("batch " + b.id() + (b.dryRun() ? " (dry run)" : ""));
    line(out, "status", b.status());
    line(out, "source", b.source());
    line(out, "object", b.objectKey() + " @ " + b.objectVersion());
    line(out, "attempt", b.attempt());
    if (b.rowsTotal() != null) { // a duplicate, or a file refused unread, counted nothing
      line(out, "rows", "total " + b.rowsTotal() + ", valid " + b.rowsValid() + ", invalid " + b.rowsInvalid());
      line(out, "loaded", "inserted " + b.rowsInserted() + ", updated " + b.rowsUpdated() + ", unchanged "
          + b.rowsUnchanged());
    } else {
      line(out, "rows", "not counted" + (b.duplicateOf() != null ? " (a duplicate: see batch " + b.duplicateOf() + ")" : ""));
    }
    line(out, "threshold", b.errorThresholdPercent().toPlainString() + "%");
    line(out, "rejection", b.rejectionReason());
    line(out, "duplicate_of", b.duplicateOf());
    line(out, "last_error", b.lastError());
    line(out, "sha256", b.contentSha256());
    line(out, "bytes", b.bytesRead());
    line(out, "created", b.createdAt());
    line(out, "started", b.startedAt());
    line(out, "finished", b.finishedAt());
    line(out, "heartbeat", b.heartbeatAt());
    line(out, "rolled_back", b.rolledBackAt() == null ? null : b.rolledBackAt() + " (" + b.rollbackReason() + ")");
    line(out, "results", b.resultsWrittenAt() == null ? null : "written " + b.resultsWrittenAt());
    line(out, "event", b.eventPublishedAt() == null ? null : "published " + b.eventPublishedAt());
    // who asked for each attempt, why, and how it ended
    for (var a : attempts) {
      line(out, "attempt " + a.attempt(), a.requestedAt().toInstant() + "  " + a.requestedBy()
          + (a.reason() == null ? "" : ": " + a.reason()) + "  -> " + (a.outcome() == null ? "running" : a.outcome())
          + (a.detail() == null || a.outcome() == null ? "" : " (" + a.detail() + ")"));
    }
    return ExitCodes.OK;
  }

  private static void line(PrintWriter out, String name, Object value) {
    if (value != null) out.printf("  %-13s %s%n", name, value);
  }
}
