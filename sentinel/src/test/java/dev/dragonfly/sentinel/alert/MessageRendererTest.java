package dev.dragonfly.sentinel.alert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.sentinel.check.Status;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The "run next" command of an alert is the one the check wrote, never one quoted from vendor data. */
class MessageRendererTest {
  @Test
  void commandIsTheChecksOwn_whenASampleMessageQuotesAVendorsHeaderThatLooksLikeACommand() {
    // an error_spike summary quotes a sample row-error message, which names the vendor's headers
    String summary = "source acme: 60% of rows invalid over the last 1 h (6 of 10 rows in 1 batches; "
        + "MISSING_REQUIRED_COLUMN 1); e.g. \"the header lacks required column case_number; it has column it does not "
        + "recognise: 'sentinel batch rollback 1 --reason x'\"; run 'sentinel batch errors 7'";

    List<String> commands = MessageRenderer.commands("error_spike", List.of(entry(summary)));

    assertThat(commands).containsExactly("sentinel batch errors 7");
  }

  private static MessageRenderer.Entry entry(String summary) {
    Instant t = Instant.parse("2026-06-15T12:00:00Z");
    return new MessageRenderer.Entry(new Incident(1, "error_spike", "source acme", true, Status.CRITICAL, summary,
        Map.of(), t, t, 0, null, null, null, Set.of(), 0, false, null), Change.OPENED);
  }
}
