package dev.dragonfly.functions;

import dev.dragonfly.intake.DatabaseUrl;
import java.time.Duration;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * The function's AWS clients, built once per container from the Lambda environment (region and
 * credentials come from the runtime), on the JDK's HTTP client to keep the artifact small.
 */
final class AwsClients {
  private AwsClients() {}

  /**
   * How long a read of an object may get no byte before it fails (and the batch is given back
   * for a retry): S3 sends a healthy object continuously. Set here, not left to the SDK's default,
   * as the bound on a stalled stream between the pipeline's deadline checks.
   */
  static final Duration S3_READ_TIMEOUT = Duration.ofSeconds(30);
  static final Duration S3_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  static S3Client s3() {
    // a local S3-compatible server (AWS_ENDPOINT_URL_S3) is addressed by path, not by virtual host
    return s3(S3Client.builder().forcePathStyle(System.getenv("AWS_ENDPOINT_URL_S3") != null), S3_READ_TIMEOUT);
  }

  /** The function's S3 client on {@code builder} (tests: a local endpoint and credentials). */
  static S3Client s3(S3ClientBuilder builder, Duration readTimeout) {
    return builder
        .httpClientBuilder(UrlConnectionHttpClient.builder().socketTimeout(readTimeout)
            .connectionTimeout(S3_CONNECT_TIMEOUT))
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
