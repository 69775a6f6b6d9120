package dev.dragonfly.sentinel;

import dev.dragonfly.intake.BatchStore;
import dev.dragonfly.intake.Database;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Groups the batch subcommands. */
@Command(name = "batch", mixinStandardHelpOptions = true, description = "Inspect, re-ingest, fail and roll back batches.",
    subcommands = {BatchListCommand.class, BatchShowCommand.class, BatchErrorsCommand.class,
        BatchReingestCommand.class, BatchRollbackCommand.class, BatchFailCommand.class})
final class BatchCommand implements Runnable {
  @ParentCommand SentinelCli root;
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  Database database() {
    return root.connector().migratedDatabase();
  }

  BatchStore batches() {
    return new BatchStore(database().jdbi());
  }

  @Override public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), // the hint then names 'sentinel batch --help'
        "name a batch command: list, show, errors, reingest, fail or rollback");
  }
}
