package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.SourceProfiles;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Checks that the database is reachable and its schema current, without changing anything. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = "Check connectivity and configuration: database reachable, migrations current, sources present.",
    footer = {"", "Exit codes: 0 all checks pass, 6 a check failed (each failing line says what to run)."})
final class DoctorCommand implements Callable<Integer> {
  @ParentCommand SentinelCli root;
  @Spec CommandSpec spec;

  @Override public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Database db;
    String version;
    try {
      db = root.connector().database();
      version = db.jdbi().withHandle(h -> h.createQuery("SHOW server_version").mapTo(String.class).one());
    } catch (RuntimeException e) {
      out.println("FAIL database: cannot reach " + root.connector().describe() + ": " + e.getMessage());
      return ExitCodes.UNHEALTHY;
    }
    out.println("ok   database: PostgreSQL " + version + " at " + root.connector().describe());
    int pending = db.pendingMigrations();
    if (pending > 0) {
      out.println("FAIL migrations: " + pending + " pending (schema at " + db.schemaVersion()
          + "); run 'sentinel migrate'");
      return ExitCodes.UNHEALTHY;
    }
    out.println("ok   migrations: current (schema at version " + db.schemaVersion() + ")");
    out.println("ok   sources: " + String.join(", ", new SourceProfiles(db.jdbi()).names()));
    return ExitCodes.OK;
  }
}
