package dev.dragonfly.functions;

import dev.dragonfly.intake.DatabaseUrl;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * The function's AWS clients, built once per container from the Lambda environment (region and
 * credentials come from the runtime), on the JDK's HTTP client to keep the artifact small.
 */
final class AwsClients {
  private AwsClients() {}

  static S3Client s3() {
    return S3Client.builder()
        // a local S3-compatible server (AWS_ENDPOINT_URL_S3) is addressed by path, not by virtual host
        .forcePathStyle(System.getenv("AWS_ENDPOINT_URL_S3") != null)
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        // checksums only where S3 requires them: the object is streamed, never buffered to hash it twice
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .build();
  }

  static SnsClient sns() {
    return SnsClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder()).build();
  }

  /** The database URL: DATABASE_URL when set (local runs), else the Secrets Manager secret. */
  static DatabaseUrl databaseUrl(FunctionConfig config) {
    return DatabaseSecret.resolve(config.intake().databaseUrl(), config.databaseSecretArn());
  }
}
