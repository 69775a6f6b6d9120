package dev.dragonfly.sentinel;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Fails a stuck batch by hand; see runbooks/stuck-batches.md. */
@Command(name = "fail", mixinStandardHelpOptions = true,
    description = {"Fail a batch that is stuck: given back (uploaded) and unclaimed, or in a processing state whose",
        "worker has gone silent. Nothing it loaded is touched (a batch commits its rows only when it completes).",
        "'sentinel batch reingest ID' can run it again later."},
    footer = {"", "Exit codes: 0 failed, 2 bad usage or unknown batch, 5 refused (already decided, or its worker is alive)."})
final class BatchFailCommand implements Callable<Integer> {
  @ParentCommand BatchCommand parent;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "Batch id.")
  long id;

  @Option(names = "--reason", required = true, paramLabel = "R", description = "Why; kept as the batch's rejection reason.")
  String reason;

  @Override public Integer call() {
    if (reason.isBlank()) throw new UserMistake("--reason must say why the batch is failed");
    var batch = parent.batches().failByOperator(id, reason, parent.root.connector().config().staleAfter());
    spec.commandLine().getOut().println("batch " + id + " failed (was " + batch.status() + "): " + reason);
    return ExitCodes.OK;
  }
}
