package dev.dragonfly.sentinel;

import dev.dragonfly.intake.IntakeException;
import dev.dragonfly.intake.RefusedException;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The operator executable: {@code java -jar sentinel/target/sentinel.jar <command>}. */
@Command(name = "sentinel", mixinStandardHelpOptions = true, version = "dragonfly-intake sentinel 0.1.0",
    description = "Operate the Dragonfly Intake pipeline: load files, inspect, re-ingest and roll back batches, add sources.",
    subcommands = {MigrateCommand.class, IngestCommand.class, BatchCommand.class, SourceCommand.class,
        DoctorCommand.class},
    footer = {"", "DATABASE_URL selects a PostgreSQL server (postgresql://user:pass@host:port/db or jdbc:postgresql://…);",
        "without it an embedded PostgreSQL keeps its data under DRAGONFLY_HOME (default ~/.dragonfly-intake).",
        "Exit codes: 0 ok, 1 run failed, 2 bad usage, 3 batch rejected, 4 in progress elsewhere,",
        "5 refused, 6 doctor found a problem."})
public final class SentinelCli implements Runnable {
  private final Connector connector;

  SentinelCli(Connector connector) {
    this.connector = connector;
  }

  Connector connector() {
    return connector;
  }

  @Override public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this), "name a command; see 'sentinel --help'");
  }

  public static void main(String[] args) {
    int code;
    try (Connector connector = new Connector(System.getenv())) {
      code = commandLine(connector).execute(args);
    } catch (UserMistake e) {
      System.err.println("error: " + e.getMessage());
      code = ExitCodes.USAGE;
    } catch (Exception e) {
      System.err.println("error: " + e.getMessage());
      code = ExitCodes.RUN_FAILED;
    }
    System.exit(code);
  }

  /** The configured command line; tests call {@code execute} on it and read its out and err writers. */
  static CommandLine commandLine(Connector connector) {
    CommandLine cli = new CommandLine(new SentinelCli(connector));
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> report(e, commandLine.getErr()));
    cli.setParameterExceptionHandler((e, args) -> {
      PrintWriter err = e.getCommandLine().getErr();
      err.println("error: " + e.getMessage());
      err.println("see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
      return ExitCodes.USAGE;
    });
    return cli;
  }

  static CommandLine commandLine(Map<String, String> env) {
    return commandLine(new Connector(env));
  }

  /** The one place mapping failures to exit codes and readable lines; stack traces only for bugs. */
  private static int report(Exception e, PrintWriter err) {
    if (e instanceof UserMistake) {
      err.println("error: " + e.getMessage());
      return ExitCodes.USAGE;
    }
    if (e instanceof RefusedException r) {
      err.println("refused " + r.code() + ": " + r.getMessage());
      return ExitCodes.REFUSED;
    }
    if (e instanceof IntakeException ie) {
      err.println("error " + ie.code() + ": " + ie.getMessage());
      return ie.isUserError() ? ExitCodes.USAGE : ExitCodes.RUN_FAILED;
    }
    if (e instanceof IllegalArgumentException) {
      err.println("error: " + e.getMessage());
      return ExitCodes.USAGE;
    }
    SQLException sql = sqlCause(e);
    if (sql != null) { // the database, not a bug: say what it said, no stack trace
      err.println("error DATABASE_UNAVAILABLE: " + sql.getMessage());
      return ExitCodes.RUN_FAILED;
    }
    err.println("error: unexpected failure, please report it: " + e);
    e.printStackTrace(err);
    return ExitCodes.RUN_FAILED;
  }

  private static SQLException sqlCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) return s;
    }
    return null;
  }
}
