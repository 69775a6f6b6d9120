package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Batch;
import dev.dragonfly.intake.ErrorsCsvWriter;
import dev.dragonfly.intake.RowErrors;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Prints a batch's row errors, as lines or as the vendor's errors CSV. */
@Command(name = "errors", mixinStandardHelpOptions = true,
    description = "Print a batch's row errors (current attempt), in file order.")
final class BatchErrorsCommand implements Callable<Integer> {
  @ParentCommand BatchCommand parent;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "Batch id.")
  long id;

  @Option(names = "--csv", description = "Write the errors CSV a vendor receives (formula-safe).")
  boolean csv;

  @Option(names = "--limit", paramLabel = "N", description = "At most N errors (default: all).")
  Long limit;

  /**
   * Why a batch shows no row errors: it had none, it was rejected as a whole (a file-level code,
   * no row was judged), or it had invalid rows whose errors cleanup has since pruned.
   */
  static String noErrorsShown(Batch b) {
    long invalid = b.rowsInvalid() == null ? 0 : b.rowsInvalid();
    if (invalid > 0) {
      return "batch " + b.id() + " had " + invalid + " invalid row(s), but their row errors were pruned by "
          + "'sentinel cleanup' (they are kept for its --older-than age)"
          + (b.rejectionReason() == null ? "" : "; it was rejected: " + b.rejectionReason());
    }
    return "batch " + b.id() + " has no row errors" + (b.rejectionReason() == null ? ""
        : "; it was rejected as a whole: " + b.rejectionReason());
  }

  @Override public Integer call() {
    if (limit != null && limit < 1) throw new UserMistake("--limit must be at least 1: " + limit);
    var batches = parent.batches();
    batches.require(id);
    PrintWriter out = spec.commandLine().getOut();
    long max = limit == null ? Long.MAX_VALUE : limit;
    if (csv) {
      var writer = new ErrorsCsvWriter(out);
      parent.database().jdbi().useTransaction(h -> RowErrors.forEachCurrent(h, id, max, writer::write));
      writer.flush();
    } else {
      long[] shown = {0};
      parent.database().jdbi().useTransaction(h -> RowErrors.forEachCurrent(h, id, max, e -> {
        shown[0]++;
        out.println((e.recordNumber() == null ? "file" : "record " + e.recordNumber())
            + (e.column() == null ? "" : " " + e.column()) + " " + e.code() + ": " + e.message());
      }));
      if (shown[0] == 0) out.println(noErrorsShown(batches.require(id)));
    }
    out.flush();
    return ExitCodes.OK;
  }
}
