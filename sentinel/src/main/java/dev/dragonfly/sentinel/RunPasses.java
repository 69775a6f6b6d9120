package dev.dragonfly.sentinel;

import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Json;
import dev.dragonfly.sentinel.check.Status;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** The pass as the executable runs it: once ({@code sentinel}, {@code sentinel --json}) or forever ({@code --loop}). */
final class RunPasses {
  /** How long a one-shot pass waits for the re-drives it started in this process. */
  private static final Duration ONE_SHOT_REDRIVE_WAIT = Duration.ofMinutes(15);
  /** Set by the SIGTERM hook: the JVM is exiting, so main must not call System.exit itself. */
  static volatile boolean stoppedBySignal;
  /** Counted down once main has closed everything, which the SIGTERM hook waits for. */
  static final CountDownLatch MAIN_DONE = new CountDownLatch(1);
  /** main's exit code, set before {@link #MAIN_DONE}: what the SIGTERM hook exits with. */
  static volatile int mainExitCode = ExitCodes.RUN_FAILED;

  private RunPasses() {}

  /** Runs one pass and prints it; the exit code is the Nagios code of its verdict. */
  static int once(Connector connector, SentinelConfig config, boolean json, PrintWriter out, PrintWriter err) {
    Database db = open(connector, err);
    if (db == null) return Status.UNKNOWN.exitCode();
    boolean reachable = PassPreparation.migrate(db);
    try (SentinelFactory.Built built = SentinelFactory.build(config, db, Clock.systemUTC(), AwsClients.forConfig(config))) {
      Report report = built.sentinel().runOnce(new PassClock(db, Clock.systemUTC()).now(reachable));
      built.localRedriver().ifPresent(r -> r.awaitQueued(ONE_SHOT_REDRIVE_WAIT));
      out.println(json ? Json.write(report) : report.lines());
      if (!reachable) {
        err.println("error: cannot reach the database at " + connector.describe()
            + "; the checks that need it are unknown (see 'sentinel doctor')");
      }
      return report.status().exitCode();
    }
  }

  /** Runs passes until SIGTERM (or {@code stop}); each pass is printed as it ends. */
  static int loop(Connector connector, SentinelConfig config, boolean json, PrintWriter out, PrintWriter err)
      throws IOException {
    Database db = open(connector, err);
    if (db == null) return Status.UNKNOWN.exitCode(); // nothing to watch: a loop that cannot start says so at once
    Clock clock = Clock.systemUTC();
    PassClock passClock = new PassClock(db, clock);
    try (SentinelFactory.Built built = SentinelFactory.build(config, db, clock, AwsClients.forConfig(config));
         SentinelLoop loop = new SentinelLoop(() -> {
           connector.ensureEmbeddedRunning();
           boolean up = PassPreparation.migrate(db);
           return built.sentinel().runOnce(passClock.now(up));
         }, printer(json, out), clock, config.interval(), config.httpPort())) {
      err.println("sentinel " + config.instance() + ": a pass every " + (config.interval().toMillis() < 1000
          ? config.interval().toMillis() + " ms" : config.interval().toSeconds() + " s") + "; /healthz and /metrics on port " + loop.port() + "; stop with SIGTERM or Ctrl-C");
      Duration grace = config.checkTimeLimit().multipliedBy(3).plus(Duration.ofSeconds(5));
      Thread hook = new Thread(() -> stopOnSignal(loop, grace), "sentinel-stop");
      Runtime.getRuntime().addShutdownHook(hook);
      loop.run();
      err.println("sentinel stopped after its last pass");
      return 0;
    }
  }

  /**
   * The database, or null (said on {@code err}) when it cannot be opened at all, e.g. the
   * embedded server cannot start. An unreachable server is not that: its passes run, unknown.
   */
  private static Database open(Connector connector, PrintWriter err) {
    try {
      return connector.database();
    } catch (RuntimeException e) {
      err.println("error: cannot reach the database (" + e.getMessage() + ")");
      return null;
    }
  }

  /**
   * The SIGTERM (or Ctrl-C) hook: lets the current pass finish, waits for main to close
   * everything, then ends the JVM with main's exit code (0 after a clean stop). Without the
   * halt the JVM would exit 143 (128 + SIGTERM), which systemd counts as a failure. If the pass
   * or main do not finish within {@code grace}, the hook returns and the JVM exits 143.
   */
  private static void stopOnSignal(SentinelLoop loop, Duration grace) {
    stoppedBySignal = true;
    System.err.println("sentinel: stop requested; stopping after the current pass (waiting up to " + grace.toSeconds() + " s)");
    System.err.flush();
    boolean passFinished = loop.stop(grace);
    boolean mainDone;
    try {
      mainDone = MAIN_DONE.await(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (!passFinished || !mainDone) {
      System.err.println("sentinel: the current pass did not finish within " + grace.toSeconds()
          + " s of the stop; exiting without it (the next pass of any sentinel sees what it left)");
      return;
    }
    System.out.flush();
    System.err.flush();
    Runtime.getRuntime().halt(mainExitCode); // everything is closed: the other hooks have nothing of ours to do
  }

  private static Consumer<Report> printer(boolean json, PrintWriter out) {
    return report -> {
      if (json) {
        out.println(Json.write(report));
        return;
      }
      out.println(report.startedAt() + " " + report.status().label().toUpperCase(Locale.ROOT) + " pass in "
          + report.durationMs() + " ms");
      report.checks().stream().filter(c -> c.status() != Status.OK && c.status() != Status.SKIPPED)
          .forEach(c -> out.println("  " + c.status().label().toUpperCase(Locale.ROOT) + " " + c.check() + ": " + c.summary()));
      out.flush();
    };
  }
}
