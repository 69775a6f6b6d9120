package dev.dragonfly.sentinel;

import static java.util.Objects.requireNonNull;

import dev.dragonfly.intake.DatabaseUrl;
import java.util.Map;
import java.util.Optional;

/**
 * What the deployed sentinel reads from its environment; names match template.yaml.
 *
 * @param databaseUrl       DATABASE_URL, for a run outside AWS
 * @param databaseSecretArn DATABASE_SECRET_ARN: the Secrets Manager secret holding the database URL
 */
public record SentinelConfig(Optional<DatabaseUrl> databaseUrl, Optional<String> databaseSecretArn) {
  public SentinelConfig {
    requireNonNull(databaseUrl, "databaseUrl == null");
    requireNonNull(databaseSecretArn, "databaseSecretArn == null");
    if (databaseUrl.isEmpty() && databaseSecretArn.isEmpty())
      throw new IllegalArgumentException("set DATABASE_SECRET_ARN (or DATABASE_URL for a local run)");
  }

  public static SentinelConfig fromEnv(Map<String, String> env) {
    return new SentinelConfig(
        Optional.ofNullable(blankToNull(env.get("DATABASE_URL"))).map(DatabaseUrl::parse),
        Optional.ofNullable(blankToNull(env.get("DATABASE_SECRET_ARN"))));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
