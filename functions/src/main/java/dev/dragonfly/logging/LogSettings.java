package dev.dragonfly.logging;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * How every deployable logs, from its environment: LOG_LEVEL (default INFO) for our own loggers,
 * libraries from WARN up unless LOG_LEVEL is DEBUG or TRACE; LOG_FORMAT {@code json} (the
 * default in Lambda) or {@code text}.
 *
 * @param own       the level of {@code dev.dragonfly} loggers
 * @param libraries the level of everything else
 */
public record LogSettings(String own, String libraries, boolean json) {
  private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

  /** Never fails: a bad value falls back to INFO and text, so a Lambda still logs (the CLI refuses it first, see {@link #problem}). */
  public static LogSettings fromEnv(Map<String, String> env) {
    String raw = env.getOrDefault("LOG_LEVEL", "INFO").trim().toUpperCase(Locale.ROOT);
    String own = LEVELS.contains(raw) ? raw : "INFO";
    String libraries = own.equals("DEBUG") || own.equals("TRACE") ? own : "WARN";
    String format = env.getOrDefault("LOG_FORMAT", "").trim();
    boolean json = format.equalsIgnoreCase("json") || (env.containsKey("AWS_LAMBDA_FUNCTION_NAME") && !format.equalsIgnoreCase("text"));
    return new LogSettings(own, libraries, json);
  }

  /** What is wrong with LOG_LEVEL or LOG_FORMAT, if anything: the CLI refuses them with this line. */
  public static Optional<String> problem(Map<String, String> env) {
    String level = env.get("LOG_LEVEL");
    if (level != null && !level.isBlank() && !LEVELS.contains(level.trim().toUpperCase(Locale.ROOT))) {
      return Optional.of("LOG_LEVEL must be one of trace, debug, info, warn, error: " + level);
    }
    String format = env.get("LOG_FORMAT");
    if (format != null && !format.isBlank() && !format.trim().equalsIgnoreCase("json") && !format.trim().equalsIgnoreCase("text")) {
      return Optional.of("LOG_FORMAT must be json or text: " + format);
    }
    return Optional.empty();
  }
}
