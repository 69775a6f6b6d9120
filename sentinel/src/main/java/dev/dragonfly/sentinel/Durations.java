package dev.dragonfly.sentinel;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as operators write them: {@code 10s}, {@code 5m}, {@code 24h}, {@code 30d}, or ISO-8601 ({@code PT10S}). */
public final class Durations {
  private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|min|h|d)");

  private Durations() {}

  /** @throws IllegalArgumentException naming what is accepted */
  public static Duration parse(String text) {
    String t = text.trim().toLowerCase(java.util.Locale.ROOT);
    Matcher m = SHORT.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m", "min" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      return positive(d, text);
    }
    try {
      return positive(Duration.parse(text.trim()), text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + text + "' is not a duration; write it as 10s, 5m, 24h or 30d");
    }
  }

  private static Duration positive(Duration d, String text) {
    if (d.isZero() || d.isNegative()) throw new IllegalArgumentException("'" + text + "' is not a positive duration");
    return d;
  }
}
