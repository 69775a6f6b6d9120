package dev.dragonfly.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

/** The logging backend as every deployable configures it: JSON and text lines, levels, and the one redaction point. */
class LoggingTest {
  /** A logger of a context configured as {@link LoggingConfigurator} does, writing to a captured standard error. */
  private static String capture(LogSettings settings, String loggerName, java.util.function.Consumer<Logger> logging) {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(MDC.getMDCAdapter()); // as SLF4J gives the real context: MDC.put reaches these events
    PrintStream original = System.err;
    var out = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
      LoggingConfigurator.configure(context, settings);
      logging.accept(context.getLogger(loggerName));
    } finally {
      context.stop();
      System.setErr(original);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static final LogSettings JSON = new LogSettings("INFO", "WARN", true);
  private static final LogSettings TEXT = new LogSettings("INFO", "WARN", false);

  @Test
  void jsonLinesCarryTheContextAndRedactMessageArgumentsAndMdcValues() throws Exception {
    String line;
    try (var r = MDC.putCloseable("request_id", "req-1"); var b = MDC.putCloseable("batch_id", "42");
         var s = MDC.putCloseable("source", "judgments"); var h = MDC.putCloseable("content_sha256", "ab12");
         var k = MDC.putCloseable("object_key", "incoming/acme/000-12-3456.csv")) {
      line = capture(JSON, "dev.dragonfly.test", l -> l.info("caller logged {} and {}", "000-12-3456", "4111 1111 1111 1111"));
    }
    assertThat(line.lines().count()).isEqualTo(1);
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("level").asText()).isEqualTo("INFO");
    assertThat(json.path("logger").asText()).isEqualTo("dev.dragonfly.test");
    assertThat(json.path("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
    assertThat(json.path("message").asText()).isEqualTo("caller logged [REDACTED-SSN] and [REDACTED-CARD]");
    assertThat(json.path("request_id").asText()).isEqualTo("req-1");
    assertThat(json.path("batch_id").asText()).isEqualTo("42");
    assertThat(json.path("source").asText()).isEqualTo("judgments");
    assertThat(json.path("content_sha256").asText()).isEqualTo("ab12");
    assertThat(json.path("object_key").asText()).isEqualTo("incoming/acme/[REDACTED-SSN].csv");
    assertThat(json.has("thread_name") || json.has("level_value") || json.has("@version")).isFalse();
  }

  @Test
  void exceptionsAreRedactedTooAndStayOnOneJsonLine() throws Exception {
    String line = capture(JSON, "dev.dragonfly.test", l -> l.error("failed", new IllegalStateException("bad value 000-12-3456")));
    assertThat(line.lines().count()).isEqualTo(1);
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("error").asText()).startsWith("java.lang.IllegalStateException: bad value [REDACTED-SSN]");
  }

  @Test
  void textLinesRedactTheMessageTheMdcAndTheException() {
    String out;
    try (var k = MDC.putCloseable("object_key", "incoming/acme/000-12-3456.csv")) {
      out = capture(TEXT, "dev.dragonfly.test", l -> l.warn("row {} failed", "4111-1111-1111-1111",
          new IllegalArgumentException("value 000-12-3456")));
    }
    assertThat(out).containsPattern("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z WARN dev.dragonfly.test - row "
        + "\\[REDACTED-CARD\\] failed \\{object_key=incoming/acme/\\[REDACTED-SSN\\]\\.csv\\}")
        .contains("java.lang.IllegalArgumentException: value [REDACTED-SSN]")
        .doesNotContain("000-12-3456").doesNotContain("4111-1111-1111-1111");
    assertThat(capture(TEXT, "dev.dragonfly.test", l -> l.info("plain"))).endsWith(" INFO dev.dragonfly.test - plain"
        + System.lineSeparator());
  }

  @Test
  void ourLoggersLogAtLogLevelAndLibrariesFromWarnUnlessDebugging() {
    assertThat(capture(TEXT, "org.example.library", l -> l.info("chatty"))).isEmpty();
    assertThat(capture(TEXT, "org.example.library", l -> l.warn("worth reading"))).contains("WARN org.example.library - worth reading");
    assertThat(capture(TEXT, "dev.dragonfly.test", l -> l.debug("detail"))).isEmpty();
    LogSettings debug = LogSettings.fromEnv(Map.of("LOG_LEVEL", "debug"));
    assertThat(capture(debug, "org.example.library", l -> l.debug("library detail"))).contains("library detail");
    assertThat(LogSettings.fromEnv(Map.of("AWS_LAMBDA_FUNCTION_NAME", "f")).json()).isTrue();
    assertThat(LogSettings.fromEnv(Map.of("AWS_LAMBDA_FUNCTION_NAME", "f", "LOG_FORMAT", "text")).json()).isFalse();
    assertThat(LogSettings.fromEnv(Map.of("LOG_LEVEL", "bogus")).own()).isEqualTo("INFO");
    assertThat(LogSettings.problem(Map.of("LOG_LEVEL", "bogus"))).contains("LOG_LEVEL must be one of trace, debug, info, warn, error: bogus");
  }
}
