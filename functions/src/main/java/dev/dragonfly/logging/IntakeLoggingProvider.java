package dev.dragonfly.logging;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The SLF4J backend of every Dragonfly deployable: redacted lines on standard error, JSON in
 * Lambda. Our own loggers log at LOG_LEVEL (default INFO); libraries only from WARN up unless
 * LOG_LEVEL is DEBUG or TRACE.
 */
public final class IntakeLoggingProvider implements SLF4JServiceProvider {
  private final IMarkerFactory markers = new BasicMarkerFactory();
  private final MDCAdapter mdc = new BasicMDCAdapter();
  private ILoggerFactory factory;

  @Override public ILoggerFactory getLoggerFactory() {
    return factory;
  }

  @Override public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  @Override public String getRequestedApiVersion() {
    return "2.0.99";
  }

  @Override public void initialize() {
    Map<String, String> env = System.getenv();
    Level own = level(env.getOrDefault("LOG_LEVEL", "INFO"));
    Level libraries = own.toInt() < Level.INFO.toInt() ? own : Level.WARN;
    boolean json = "json".equalsIgnoreCase(env.get("LOG_FORMAT"))
        || (env.containsKey("AWS_LAMBDA_FUNCTION_NAME") && !"text".equalsIgnoreCase(env.get("LOG_FORMAT")));
    Map<String, Logger> loggers = new ConcurrentHashMap<>();
    factory = name -> loggers.computeIfAbsent(name,
        n -> new IntakeLogger(n, n.startsWith("dev.dragonfly") ? own : libraries, json));
  }

  /**
   * What is wrong with LOG_LEVEL or LOG_FORMAT, if anything: the CLI refuses them with this line
   * (the backend itself falls back to INFO and text, so a Lambda still logs).
   */
  public static java.util.Optional<String> problem(Map<String, String> env) {
    String level = env.get("LOG_LEVEL");
    if (level != null && !level.isBlank()) {
      try {
        Level.valueOf(level.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        return java.util.Optional.of("LOG_LEVEL must be one of trace, debug, info, warn, error: " + level);
      }
    }
    String format = env.get("LOG_FORMAT");
    if (format != null && !format.isBlank() && !format.trim().equalsIgnoreCase("json") && !format.trim().equalsIgnoreCase("text")) {
      return java.util.Optional.of("LOG_FORMAT must be json or text: " + format);
    }
    return java.util.Optional.empty();
  }

  private static Level level(String raw) {
    try {
      return Level.valueOf(raw.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return Level.INFO;
    }
  }
}
