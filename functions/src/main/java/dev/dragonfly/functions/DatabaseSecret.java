package dev.dragonfly.functions;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dragonfly.intake.DatabaseUrl;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Reads the database secret: either a URL string, or the JSON that RDS-managed secrets hold
 * ({@code username}, {@code password}, {@code host}, {@code port}, {@code dbname}).
 */
public final class DatabaseSecret {
  private DatabaseSecret() {}

  public static DatabaseUrl parse(String secret) {
    String trimmed = secret.trim();
    if (!trimmed.startsWith("{")) return DatabaseUrl.parse(trimmed);
    try {
      JsonNode json = new ObjectMapper().readTree(trimmed);
      String url = "postgresql://" + enc(json.path("username").asText()) + ":" + enc(json.path("password").asText())
          + "@" + json.path("host").asText() + ":" + json.path("port").asInt(5432) + "/"
          + json.path("dbname").asText("postgres");
      return DatabaseUrl.parse(url);
    } catch (IOException e) {
      throw new IllegalArgumentException("the database secret is neither a URL nor valid JSON");
    }
  }

  /** DATABASE_URL when given (local runs), else the secret's value, read through Secrets Manager. */
  public static DatabaseUrl resolve(Optional<DatabaseUrl> url, Optional<String> secretArn) {
    if (url.isPresent()) return url.get();
    try (SecretsManagerClient secrets = SecretsManagerClient.builder()
        .httpClientBuilder(UrlConnectionHttpClient.builder()).build()) {
      return fromSecretsManager(secrets, secretArn);
    }
  }

  static DatabaseUrl fromSecretsManager(SecretsManagerClient secrets, Optional<String> secretArn) {
    String arn = secretArn.orElseThrow(() -> new IllegalArgumentException("set DATABASE_SECRET_ARN or DATABASE_URL"));
    return parse(secrets.getSecretValue(b -> b.secretId(arn)).secretString());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
