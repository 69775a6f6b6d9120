package dev.dragonfly.sentinel;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.dragonfly.functions.DatabaseSecret;
import dev.dragonfly.intake.Database;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deployed sentinel: one pass per scheduled invocation. An unhealthy pass fails the
 * invocation, so the function's Errors metric carries it until the sentinel's own alerting
 * (Slack, the alerts topic) arrives with the sentinel checks.
 */
public final class SentinelPassHandler implements RequestHandler<Map<String, Object>, String> {
  private static final Logger log = LoggerFactory.getLogger(SentinelPassHandler.class);

  private final SentinelConfig config;
  private Database database; // made on the first pass, then reused by the warm container

  public SentinelPassHandler() {
    this(SentinelConfig.fromEnv(System.getenv()));
  }

  SentinelPassHandler(SentinelConfig config) {
    this.config = config;
  }

  @Override public String handleRequest(Map<String, Object> scheduledEvent, Context context) {
    List<HealthPass.Finding> findings = HealthPass.run(this::database, "the intake database");
    String report = findings.stream().map(HealthPass.Finding::line).collect(Collectors.joining("; "));
    if (!HealthPass.healthy(findings)) {
      log.error("sentinel pass unhealthy: {}", report);
      throw new IllegalStateException("sentinel pass unhealthy: " + report);
    }
    log.info("sentinel pass healthy: {}", report);
    return report;
  }

  private synchronized Database database() {
    if (database == null) {
      database = Database.pooled(DatabaseSecret.resolve(config.databaseUrl(), config.databaseSecretArn()));
    }
    return database;
  }
}
