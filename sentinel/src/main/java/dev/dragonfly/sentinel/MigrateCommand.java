package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Database;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Applies the schema migrations shipped in this build. */
@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = "Apply pending schema migrations (forward-only, from sql/).")
final class MigrateCommand implements Callable<Integer> {
  @ParentCommand SentinelCli root;
  @Spec CommandSpec spec;

  @Override public Integer call() {
    Database db = root.connector().database();
    int applied = db.migrate();
    spec.commandLine().getOut().println("applied " + applied + " migration(s); schema is at version "
        + db.schemaVersion());
    return ExitCodes.OK;
  }
}
