package dev.dragonfly.intake;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * A PostgreSQL address in either accepted form: {@code postgresql://user:pass@host:port/db}
 * (also {@code postgres://}) or {@code jdbc:postgresql://host:port/db?user=…}. The password is
 * kept out of {@link #toString()} so the value can be logged.
 */
public record DatabaseUrl(String jdbcUrl, Optional<String> user, Optional<String> password) {
  public DatabaseUrl {
    requireNonNull(jdbcUrl, "jdbcUrl == null");
    requireNonNull(user, "user == null");
    requireNonNull(password, "password == null");
  }

  public static DatabaseUrl parse(String raw) {
    requireNonNull(raw, "raw == null");
    if (raw.startsWith("jdbc:postgresql:")) return new DatabaseUrl(raw, Optional.empty(), Optional.empty());
    if (!raw.startsWith("postgresql://") && !raw.startsWith("postgres://"))
      throw new IllegalArgumentException(
          "DATABASE_URL must start with postgresql://, postgres:// or jdbc:postgresql:// (got scheme '"
              + raw.substring(0, Math.max(0, raw.indexOf(':'))) + "')");
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("DATABASE_URL is not a valid URL at index " + e.getIndex());
    }
    if (uri.getHost() == null) throw new IllegalArgumentException("DATABASE_URL has no host");
    Optional<String> user = Optional.empty();
    Optional<String> password = Optional.empty();
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      user = Optional.of(decode(colon < 0 ? userInfo : userInfo.substring(0, colon)));
      if (colon >= 0) password = Optional.of(decode(userInfo.substring(colon + 1)));
    }
    String port = uri.getPort() < 0 ? "" : ":" + uri.getPort();
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    return new DatabaseUrl("jdbc:postgresql://" + uri.getHost() + port + path + query, user, password);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  @Override public String toString() {
    return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***") + user.map(u -> " (user " + u + ")").orElse("");
  }
}
