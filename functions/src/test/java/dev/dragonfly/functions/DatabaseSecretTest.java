package dev.dragonfly.functions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DatabaseSecretTest {
  @Test
  void readsAUrlSecret() {
    assertThat(DatabaseSecret.parse(" postgresql://intake:pw@db.internal:5432/intake\n").jdbcUrl())
        .isEqualTo("jdbc:postgresql://db.internal:5432/intake");
  }

  @Test
  void readsAnRdsManagedSecretWithAwkwardPasswords() {
    var url = DatabaseSecret.parse("""
        {"username": "intake", "password": "p@ss w:rd/+", "host": "proxy.internal", "port": 5432, "dbname": "intake"}""");

    assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://proxy.internal:5432/intake");
    assertThat(url.user()).contains("intake");
    assertThat(url.password()).contains("p@ss w:rd/+");
  }

  @Test
  void readsTheSecretThroughSecretsManager() throws Exception {
    var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    var asked = new java.util.concurrent.atomic.AtomicReference<String>();
    server.createContext("/", exchange -> {
      String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
      String body = new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      asked.set(target + " " + body);
      byte[] answer = ("{\"ARN\": \"arn:aws:secretsmanager:us-east-1:123456789012:secret:intake-db\","
          + " \"Name\": \"intake-db\", \"SecretString\": \"postgresql://intake:pw@db.internal:5432/intake\"}")
          .getBytes(java.nio.charset.StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/x-amz-json-1.1");
      exchange.sendResponseHeaders(200, answer.length);
      exchange.getResponseBody().write(answer);
      exchange.close();
    });
    server.start();
    try (var client = software.amazon.awssdk.services.secretsmanager.SecretsManagerClient.builder()
        .endpointOverride(java.net.URI.create("http://127.0.0.1:" + server.getAddress().getPort()))
        .region(software.amazon.awssdk.regions.Region.US_EAST_1)
        .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("local", "local")))
        .httpClientBuilder(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
        .build()) {
      var url = DatabaseSecret.fromSecretsManager(client,
          java.util.Optional.of("arn:aws:secretsmanager:us-east-1:123456789012:secret:intake-db"));

      assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5432/intake");
      assertThat(url.password()).contains("pw");
      assertThat(asked.get()).startsWith("secretsmanager.GetSecretValue ")
          .contains("\"SecretId\":\"arn:aws:secretsmanager:us-east-1:123456789012:secret:intake-db\"");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void rejectsSomethingElseWithoutEchoingIt() {
    assertThatThrownBy(() -> DatabaseSecret.parse("{not json"))
        .hasMessage("the database secret is neither a URL nor valid JSON");
  }
}
