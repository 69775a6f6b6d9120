package dev.dragonfly.sentinel;

import dev.dragonfly.intake.IntakeException;
import dev.dragonfly.intake.RefusedException;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The operator executable: {@code java -jar sentinel/target/sentinel.jar <command>}. */
@Command(name = "sentinel", mixinStandardHelpOptions = true, version = "dragonfly-intake sentinel 0.1.0",
    description = {"Watch and operate the Dragonfly Intake pipeline. With no command: one sentinel pass, one line per check",
        "(stuck_batches, error_spike, schema_cache, lost_events, database, self); --loop runs passes forever."},
    subcommands = {MigrateCommand.class, IngestCommand.class, BatchCommand.class, SourceCommand.class,
        DoctorCommand.class, AuditCommand.class, SilenceCommand.class, CleanupCommand.class, PgrstReloadCommand.class},
    footer = {"", "DATABASE_URL selects a PostgreSQL server (postgresql://user:pass@host:port/db or jdbc:postgresql://…);",
        "without it an embedded PostgreSQL keeps its data under DRAGONFLY_HOME (default ~/.dragonfly-intake).",
        "Exit codes of a pass (the Nagios plugin convention): 0 ok, 1 warning, 2 critical, 3 unknown (the",
        "pass could not run, or was called wrongly). Of the other commands: 0 ok, 1 run failed, 2 bad usage,",
        "3 batch rejected, 4 in progress elsewhere, 5 refused, 6 doctor or pgrst-reload found a problem."})
public final class SentinelCli implements Callable<Integer> {
  private final Connector connector;
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print the pass's report as one JSON object (with --loop: one per pass).")
  boolean json;

  @Option(names = "--loop", description = "Run a pass every --interval until SIGTERM, serving /healthz and /metrics.")
  boolean loop;

  @Option(names = "--interval", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Time between passes of --loop, e.g. 10s or 1m (default: SENTINEL_INTERVAL, else 1m).")
  Duration interval;

  @Option(names = "--port", paramLabel = "PORT",
      description = "Port of /healthz and /metrics for --loop (default: SENTINEL_HTTP_PORT, else 9464; 0 picks a free one).")
  Integer port;

  SentinelCli(Connector connector) {
    this.connector = connector;
  }

  Connector connector() {
    return connector;
  }

  /** The pass: once, or forever with --loop. A pass's own usage mistakes exit 3 (unknown), as Nagios expects. */
  @Override public Integer call() throws java.io.IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SentinelConfig config;
    try {
      config = connector.sentinelConfig();
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.PASS_UNKNOWN;
    }
    if (interval != null) config = config.withInterval(interval);
    if (port != null) {
      if (port < 0 || port > 65535) {
        err.println("error: --port must be from 0 to 65535: " + port);
        return ExitCodes.PASS_UNKNOWN;
      }
      config = config.withHttpPort(port);
    }
    if (!loop) {
      if (interval != null || port != null) {
        err.println("error: --interval and --port go with --loop; see 'sentinel --help'");
        return ExitCodes.PASS_UNKNOWN;
      }
      try {
        return RunPasses.once(connector, config, json, out, err);
      } catch (IllegalArgumentException e) { // AWS set up wrongly: the pass could not run
        err.println("error: " + e.getMessage());
        return ExitCodes.PASS_UNKNOWN;
      }
    }
    try {
      return RunPasses.loop(connector, config, json, out, err);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      return ExitCodes.PASS_UNKNOWN;
    } catch (java.net.BindException e) {
      err.println("error: port " + config.httpPort() + " is in use; choose another with --port or SENTINEL_HTTP_PORT");
      return ExitCodes.PASS_UNKNOWN;
    }
  }

  /** Parses 10s, 5m, 1h, 30d or ISO-8601 durations for options. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override public Duration convert(String value) {
      try {
        return Durations.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  public static void main(String[] args) {
    int code;
    try (Connector connector = new Connector(System.getenv())) {
      code = commandLine(connector).execute(args);
    } catch (UserMistake e) {
      System.err.println(e.line());
      code = mistakeBeforeCommand(args);
    } catch (Exception e) {
      System.err.println("error: " + e.getMessage());
      code = ExitCodes.RUN_FAILED;
    }
    RunPasses.mainExitCode = code;
    RunPasses.MAIN_DONE.countDown();
    if (!RunPasses.stoppedBySignal) System.exit(code); // on SIGTERM the JVM is already exiting
  }

  /**
   * The exit code of a mistake found before any command ran (the environment, such as a
   * malformed DATABASE_URL): for a pass 3, unknown, as Nagios expects of a check that could not
   * run; for a command 2, bad usage.
   */
  static int mistakeBeforeCommand(String[] args) {
    var commands = new CommandLine(new SentinelCli(null)).getSubcommands().keySet();
    return java.util.Arrays.stream(args).anyMatch(commands::contains) ? ExitCodes.USAGE : ExitCodes.PASS_UNKNOWN;
  }

  /** The configured command line; tests call {@code execute} on it and read its out and err writers. */
  static CommandLine commandLine(Connector connector) {
    CommandLine cli = new CommandLine(new SentinelCli(connector));
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> report(e, commandLine.getErr()));
    cli.setParameterExceptionHandler((e, args) -> {
      PrintWriter err = e.getCommandLine().getErr();
      err.println("error: " + plain(e));
      err.println("see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
      // the pass's own options (sentinel --json --bogus) follow the Nagios convention: 3
      boolean passUsage = e.getCommandLine() == cli && args.length > 0 && args[0].startsWith("-");
      return passUsage ? ExitCodes.PASS_UNKNOWN : ExitCodes.USAGE;
    });
    return cli;
  }

  private static final java.util.regex.Pattern NOT_A_NUMBER = java.util.regex.Pattern.compile(
      "^Invalid value for (?:option '([^']+)'|positional parameter at index \\d+ \\(([^)]+)\\)): '(.*)' is not an? (?:int|long)$");
  private static final java.util.regex.Pattern KEY_VALUE = java.util.regex.Pattern.compile(
      "^Value for option '([^']+)' \\(([^)]+)\\) should be in KEY=VALUE format but was (.*)$");
  private static final java.util.regex.Pattern INVALID_VALUE = java.util.regex.Pattern.compile(
      "^Invalid value for (?:option '([^']+)'|positional parameter at index \\d+ \\(([^)]+)\\)): (.*)$");
  private static final java.util.regex.Pattern MISSING_OPTION = java.util.regex.Pattern.compile(
      "^Missing required options?: (.+)$");

  /**
   * picocli's usage errors in the words of the rest of the executable: {@code --limit must be a
   * whole number: 'abc'} rather than {@code 'abc' is not an int}, {@code unknown command
   * 'bogus'} rather than {@code Unmatched argument at index 1}.
   */
  static String plain(CommandLine.ParameterException e) {
    if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      String what = u.getUnmatched().get(0);
      String kind = what.startsWith("-") ? "unknown option" : e.getCommandLine().getSubcommands().isEmpty()
          ? "unexpected argument" : "unknown command";
      java.util.List<String> near = u.getSuggestions();
      return kind + " '" + what + "'" + (near.isEmpty() ? "" : "; did you mean "
          + String.join(" or ", near.subList(0, Math.min(near.size(), 3))) + "?");
    }
    String m = e.getMessage().replace("option option", "option");
    java.util.regex.Matcher number = NOT_A_NUMBER.matcher(m);
    if (number.matches()) {
      return (number.group(1) != null ? number.group(1) : number.group(2)) + " must be a whole number: '" + number.group(3) + "'";
    }
    java.util.regex.Matcher keyValue = KEY_VALUE.matcher(m);
    if (keyValue.matches()) {
      return keyValue.group(1) + " must be " + keyValue.group(2) + ", like 'case no=case_number': '" + keyValue.group(3) + "'";
    }
    java.util.regex.Matcher invalid = INVALID_VALUE.matcher(m);
    if (invalid.matches()) return (invalid.group(1) != null ? invalid.group(1) : invalid.group(2)) + ": " + invalid.group(3);
    java.util.regex.Matcher missing = MISSING_OPTION.matcher(m);
    if (missing.matches()) return "missing " + missing.group(1).replace("=", " ").replace("'", "");
    if (m.startsWith("Missing required parameter for option ")) {
      return m.substring("Missing required parameter for option ".length()).replace("'", "") + " needs a value";
    }
    if (m.startsWith("Missing required parameter")) return "missing " + m.substring(m.indexOf(':') + 1).trim().replace("'", "");
    return m;
  }

  static CommandLine commandLine(Map<String, String> env) {
    return commandLine(new Connector(env));
  }

  /** The one place mapping failures to exit codes and readable lines; stack traces only for bugs. */
  private static int report(Exception e, PrintWriter err) {
    if (e instanceof UserMistake m) {
      err.println(m.line());
      return ExitCodes.USAGE;
    }
    if (e instanceof RefusedException r && r.isUsageMistake()) {
      err.println("error " + r.code() + ": " + r.getMessage());
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
