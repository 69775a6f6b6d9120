package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Rollbacks;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Rolls a completed batch back; see runbooks/rollback.md. */
@Command(name = "rollback", mixinStandardHelpOptions = true,
    description = "Roll a completed batch back: restore rows it updated, mark rows it inserted. Deletes nothing.",
    footer = {"", "Exit codes: 0 rolled back (or already was), 2 bad usage or unknown batch,",
        "5 refused because a later batch changed the same rows (the message names it)."})
final class BatchRollbackCommand implements Callable<Integer> {
  @ParentCommand BatchCommand parent;
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "ID", description = "Batch id.")
  long id;

  @Option(names = "--reason", required = true, paramLabel = "R", description = "Why; kept with the batch.")
  String reason;

  @Override public Integer call() {
    if (reason.isBlank()) throw new UserMistake("--reason must say why the batch is rolled back");
    var outcome = new Rollbacks(parent.database().jdbi()).rollback(id, reason);
    spec.commandLine().getOut().println(outcome.message());
    return ExitCodes.OK;
  }
}
