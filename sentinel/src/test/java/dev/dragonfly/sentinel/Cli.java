package dev.dragonfly.sentinel;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** Runs the executable in process, as an operator would from a shell, and keeps what it printed. */
final class Cli {
  private Cli() {}

  record Run(int exitCode, String out, String err) {}

  /** With {@code extra} variables on top of {@code env}. */
  static Run run(Map<String, String> env, Map<String, String> extra, String... args) {
    Map<String, String> all = new java.util.HashMap<>(env);
    all.putAll(extra);
    return run(all, args);
  }

  static Run run(Map<String, String> env, String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    try (Connector connector = new Connector(env)) {
      var cli = SentinelCli.commandLine(connector);
      cli.setOut(new PrintWriter(out, true));
      cli.setErr(new PrintWriter(err, true));
      int code = cli.execute(args);
      return new Run(code, out.toString(), err.toString());
    } catch (UserMistake e) { // as main reports a mistake found before any command runs (the environment)
      return new Run(SentinelCli.mistakeBeforeCommand(args), out.toString(), err + e.line() + System.lineSeparator());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
