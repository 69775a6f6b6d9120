package dev.dragonfly.sentinel;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.dragonfly.functions.DatabaseSecret;
import dev.dragonfly.intake.Database;
import dev.dragonfly.intake.Json;
import dev.dragonfly.sentinel.check.Status;
import java.time.Clock;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deployed sentinel: one pass per scheduled invocation, the same pass as {@code sentinel
 * --json}, with the same configuration record, alerts included (Slack, the alerts topic). The
 * report is the invocation's result; a critical pass, or one that could not see (unknown: the
 * database is unreachable), also fails the invocation, so that the function's Errors metric
 * carries it as a second signal beside the alerts (which cannot be sent without the database).
 */
public final class SentinelPassHandler implements RequestHandler<Map<String, Object>, String> {
  private static final Logger log = LoggerFactory.getLogger(SentinelPassHandler.class);

  /** Under the checks' time limit, so that an unreachable database reads as such, not as a timeout. */
  static final int CONNECT_TIMEOUT_SECONDS = 5;

  private final SentinelConfig config;
  private final Clock clock;
  private final SentinelFactory.Clients clients;
  private Database database; // made on the first pass, then reused by the warm container
  private SentinelFactory.Built built;

  public SentinelPassHandler() {
    this(SentinelConfig.fromEnv(System.getenv()), Clock.systemUTC());
  }

  private SentinelPassHandler(SentinelConfig config, Clock clock) {
    this(config, clock, AwsClients.forConfig(config));
  }

  SentinelPassHandler(SentinelConfig config, Clock clock, SentinelFactory.Clients clients) {
    this.config = config;
    this.clock = clock;
    this.clients = clients;
  }

  @Override public synchronized String handleRequest(Map<String, Object> scheduledEvent, Context context) {
    if (built == null) {
      // A connection per use for the pass's own work; the checks borrow from a small pool over it
      // (SENTINEL_DB_POOL_SIZE, kept by the warm container) whose sessions end a statement at the
      // check time limit. With the database unreachable each check fails within the connect timeout.
      database = Database.connect(DatabaseSecret.resolve(config.intake().databaseUrl(), config.databaseSecretArn()),
          CONNECT_TIMEOUT_SECONDS);
      built = SentinelFactory.build(config, database, clock, clients);
    }
    boolean reachable = PassPreparation.migrate(database);
    Report report = built.sentinel().runOnce(new PassClock(database, clock).now(reachable));
    built.localRedriver().ifPresent(r -> r.awaitQueued(config.checkTimeLimit()));
    String json = Json.write(report);
    if (report.status() == Status.CRITICAL || report.status() == Status.UNKNOWN) {
      String bad = report.checks().stream().filter(c -> c.status() == report.status())
          .map(c -> c.check() + ": " + c.summary()).collect(Collectors.joining("; "));
      log.error("sentinel pass {}: {}", report.status().label(), bad);
      throw new IllegalStateException("sentinel pass " + report.status().label() + ": " + bad);
    }
    log.info("sentinel pass {} in {} ms", report.status().label(), report.durationMs());
    return json;
  }

}
