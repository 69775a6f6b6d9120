package dev.dragonfly.sentinel;

import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * The sentinel's AWS clients, made only for what is configured: S3 with INTAKE_BUCKET, SNS with
 * EVENTS_TOPIC_ARN or ALERTS_TOPIC_ARN, and the Slack token from SLACK_BOT_TOKEN_SECRET_ARN.
 * Region, credentials and endpoints (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SNS) come from the
 * SDK's standard environment; a missing region or an unreadable secret is one line naming what
 * to set, not a stack trace.
 */
final class AwsClients {
  private AwsClients() {}

  static SentinelFactory.Clients forConfig(SentinelConfig config) {
    try {
      return build(config);
    } catch (SdkException e) {
      throw new IllegalArgumentException("cannot set up AWS for " + what(config) + ": " + e.getMessage()
          + " (set AWS_REGION and credentials, or unset those variables)");
    }
  }

  private static String what(SentinelConfig config) {
    java.util.List<String> names = new java.util.ArrayList<>();
    config.bucket().ifPresent(b -> names.add("INTAKE_BUCKET"));
    config.eventsTopicArn().ifPresent(b -> names.add("EVENTS_TOPIC_ARN"));
    config.alerts().alertsTopicArn().ifPresent(b -> names.add("ALERTS_TOPIC_ARN"));
    config.alerts().slackTokenSecretArn().ifPresent(b -> names.add("SLACK_BOT_TOKEN_SECRET_ARN"));
    return String.join(", ", names);
  }

  private static SentinelFactory.Clients build(SentinelConfig config) {
    Optional<S3Client> s3 = config.bucket().map(b -> S3Client.builder()
        .forcePathStyle(System.getenv("AWS_ENDPOINT_URL_S3") != null)
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .build());
    Optional<SnsClient> sns = config.eventsTopicArn().or(() -> config.alerts().alertsTopicArn()).map(t -> SnsClient.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        // a pass never waits long on SNS: an alert that does not go now waits in the outbox
        .overrideConfiguration(o -> o.apiCallTimeout(java.time.Duration.ofSeconds(10)))
        .build());
    return new SentinelFactory.Clients(s3, sns, slackToken(config.alerts()));
  }

  /** SLACK_BOT_TOKEN, else the value of SLACK_BOT_TOKEN_SECRET_ARN from Secrets Manager (read once, at start). */
  static Optional<String> slackToken(SentinelConfig.AlertSettings alerts) {
    if (alerts.slackToken().isPresent()) return alerts.slackToken();
    return alerts.slackTokenSecretArn().map(arn -> {
      try (SecretsManagerClient secrets = SecretsManagerClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).build()) {
        return secrets.getSecretValue(b -> b.secretId(arn)).secretString().trim();
      }
    });
  }
}
