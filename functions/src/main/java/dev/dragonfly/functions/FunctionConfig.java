package dev.dragonfly.functions;

import static java.util.Objects.requireNonNull;

import dev.dragonfly.intake.IntakeConfig;
import java.util.Map;
import java.util.Optional;

/**
 * Everything the ingest function reads from its environment, read once in the handler's
 * no-arg constructor. Variable names match template.yaml.
 *
 * @param intake            the pipeline's settings (INTAKE_*; DATABASE_URL for local runs)
 * @param databaseSecretArn DATABASE_SECRET_ARN: a Secrets Manager secret whose string is the
 *                          database URL; required when DATABASE_URL is unset
 * @param bucket            INTAKE_BUCKET: where vendors upload and results go
 * @param eventsTopicArn    EVENTS_TOPIC_ARN: where one message per outcome is published
 * @param metricsNamespace  METRICS_NAMESPACE: CloudWatch namespace of the batch metrics (default DragonflyIntake)
 */
public record FunctionConfig(IntakeConfig intake, Optional<String> databaseSecretArn, String bucket,
                             String eventsTopicArn, String metricsNamespace) {
  public static final String METRICS_NAMESPACE_DEFAULT = "DragonflyIntake";

  public FunctionConfig {
    requireNonNull(intake, "intake == null");
    requireNonNull(databaseSecretArn, "databaseSecretArn == null");
    requireNonNull(bucket, "bucket == null");
    requireNonNull(eventsTopicArn, "eventsTopicArn == null");
    requireNonNull(metricsNamespace, "metricsNamespace == null");
    if (intake.databaseUrl().isEmpty() && databaseSecretArn.isEmpty())
      throw new IllegalArgumentException("set DATABASE_SECRET_ARN (or DATABASE_URL for a local run)");
  }

  public static FunctionConfig fromEnv(Map<String, String> env) {
    return new FunctionConfig(
        IntakeConfig.fromEnv(env),
        Optional.ofNullable(blankToNull(env.get("DATABASE_SECRET_ARN"))),
        required(env, "INTAKE_BUCKET"),
        required(env, "EVENTS_TOPIC_ARN"),
        Optional.ofNullable(blankToNull(env.get("METRICS_NAMESPACE"))).orElse(METRICS_NAMESPACE_DEFAULT));
  }

  private static String required(Map<String, String> env, String name) {
    String value = blankToNull(env.get(name));
    if (value == null) throw new IllegalArgumentException(name + " is not set");
    return value;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
