package dev.dragonfly.logging;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.MDC;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * Writes one line per event to standard error, redacted by {@link Redactor}: a JSON object
 * (timestamp, level, logger, message, the MDC fields such as request_id and batch_id, error)
 * in Lambda or with LOG_FORMAT=json, else a plain line for a terminal.
 */
final class IntakeLogger extends LegacyAbstractLogger {
  private final Level threshold;
  private final boolean json;

  IntakeLogger(String name, Level threshold, boolean json) {
    this.name = name;
    this.threshold = threshold;
    this.json = json;
  }

  private boolean enabled(Level level) {
    return level.toInt() >= threshold.toInt();
  }

  @Override public boolean isTraceEnabled() {
    return enabled(Level.TRACE);
  }

  @Override public boolean isDebugEnabled() {
    return enabled(Level.DEBUG);
  }

  @Override public boolean isInfoEnabled() {
    return enabled(Level.INFO);
  }

  @Override public boolean isWarnEnabled() {
    return enabled(Level.WARN);
  }

  @Override public boolean isErrorEnabled() {
    return enabled(Level.ERROR);
  }

  @Override protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
                                                       Throwable t) {
    // the one redaction point of a line: message (with its arguments), error and MDC values, for
    // text and JSON alike
    String message = Redactor.redact(MessageFormatter.basicArrayFormat(pattern, args));
    String error = t == null ? null : Redactor.redact(describe(t));
    Map<String, String> context = MDC.getCopyOfContextMap();
    if (context != null) context.replaceAll((key, value) -> Redactor.redact(value));
    String line = json ? jsonLine(level, message, context, error) : textLine(level, message, context, error);
    PrintStream err = System.err; // looked up each time: tests and runtimes may replace it
    err.println(line);
  }

  private String textLine(Level level, String message, Map<String, String> context, String error) {
    StringBuilder sb = new StringBuilder(128).append(Instant.now()).append(' ').append(level).append(' ')
        .append(name).append(" - ").append(message);
    if (context != null && !context.isEmpty()) sb.append(' ').append(new TreeMap<>(context));
    if (error != null) sb.append(System.lineSeparator()).append(error);
    return sb.toString();
  }

  private String jsonLine(Level level, String message, Map<String, String> context, String error) {
    StringBuilder sb = new StringBuilder(256).append('{');
    field(sb, "timestamp", Instant.now().toString());
    field(sb.append(','), "level", level.toString());
    field(sb.append(','), "logger", name);
    field(sb.append(','), "message", message);
    if (context != null) {
      for (var e : new TreeMap<>(context).entrySet()) field(sb.append(','), e.getKey(), e.getValue());
    }
    if (error != null) field(sb.append(','), "error", error);
    return sb.append('}').toString();
  }

  private static void field(StringBuilder sb, String key, String value) {
    quote(sb, key);
    sb.append(':');
    if (value == null) sb.append("null");
    else quote(sb, value);
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
          else sb.append(c);
        }
      }
    }
    sb.append('"');
  }

  private static String describe(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString().stripTrailing();
  }
}
