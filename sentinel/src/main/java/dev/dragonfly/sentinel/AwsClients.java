package dev.dragonfly.sentinel;

import java.util.Optional;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * The sentinel's AWS clients, made only for what is configured: S3 with INTAKE_BUCKET, SNS with
 * EVENTS_TOPIC_ARN. Region, credentials and endpoints (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SNS)
 * come from the SDK's standard environment.
 */
final class AwsClients {
  private AwsClients() {}

  static SentinelFactory.Clients forConfig(SentinelConfig config) {
    Optional<S3Client> s3 = config.bucket().map(b -> S3Client.builder()
        .forcePathStyle(System.getenv("AWS_ENDPOINT_URL_S3") != null)
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .build());
    Optional<SnsClient> sns = config.eventsTopicArn().map(t -> SnsClient.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder()).build());
    return new SentinelFactory.Clients(s3, sns);
  }
}
