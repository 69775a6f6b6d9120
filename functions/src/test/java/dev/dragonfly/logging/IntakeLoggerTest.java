package dev.dragonfly.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.slf4j.event.Level;

class IntakeLoggerTest {
  private static String capture(Runnable logging) {
    PrintStream original = System.err;
    var out = new ByteArrayOutputStream();
    try {
      System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
      logging.run();
    } finally {
      System.setErr(original);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void jsonLinesCarryTheContextAndAreRedacted() throws Exception {
    var logger = new IntakeLogger("dev.dragonfly.test", Level.INFO, true);
    String line;
    try (var r = MDC.putCloseable("request_id", "req-1"); var b = MDC.putCloseable("batch_id", "42");
         var s = MDC.putCloseable("source", "judgments"); var h = MDC.putCloseable("content_sha256", "ab12");
         var k = MDC.putCloseable("object_key", "incoming/acme/000-12-3456.csv")) {
      line = capture(() -> logger.info("caller logged {} and {}", "000-12-3456", "4111 1111 1111 1111"));
    }

    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("level").asText()).isEqualTo("INFO");
    assertThat(json.path("logger").asText()).isEqualTo("dev.dragonfly.test");
    assertThat(json.path("message").asText()).isEqualTo("caller logged [REDACTED-SSN] and [REDACTED-CARD]");
    assertThat(json.path("request_id").asText()).isEqualTo("req-1");
    assertThat(json.path("batch_id").asText()).isEqualTo("42");
    assertThat(json.path("source").asText()).isEqualTo("judgments");
    assertThat(json.path("content_sha256").asText()).isEqualTo("ab12");
    assertThat(json.path("object_key").asText()).isEqualTo("incoming/acme/[REDACTED-SSN].csv");
    assertThat(line.lines().count()).isEqualTo(1);
  }

  @Test
  void exceptionsAreRedactedTooAndStayOnOneJsonLine() throws Exception {
    var logger = new IntakeLogger("dev.dragonfly.test", Level.INFO, true);

    String line = capture(() -> logger.error("failed", new IllegalStateException("bad value 000-12-3456")));

    assertThat(line.lines().count()).isEqualTo(1);
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.path("error").asText()).startsWith("java.lang.IllegalStateException: bad value [REDACTED-SSN]");
  }

  @Test
  void belowTheThresholdNothingIsWritten() {
    var logger = new IntakeLogger("org.example.library", Level.WARN, false);

    assertThat(capture(() -> logger.info("chatty"))).isEmpty();
    assertThat(capture(() -> logger.warn("worth reading"))).contains("WARN org.example.library - worth reading");
  }

  @Test
  void textLinesRedactTheContextToo() {
    var logger = new IntakeLogger("dev.dragonfly.test", Level.INFO, false);
    String line;
    try (var k = MDC.putCloseable("object_key", "incoming/acme/000-12-3456.csv")) {
      line = capture(() -> logger.info("loaded"));
    }
    assertThat(line).contains("dev.dragonfly.test - loaded {object_key=incoming/acme/[REDACTED-SSN].csv}")
        .doesNotContain("000-12-3456");
  }
}

