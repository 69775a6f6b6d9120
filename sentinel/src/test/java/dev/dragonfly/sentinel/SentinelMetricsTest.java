package dev.dragonfly.sentinel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dragonfly.sentinel.alert.AlertSummary;
import dev.dragonfly.sentinel.check.CheckResult;
import dev.dragonfly.sentinel.check.Status;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What /metrics says of alerts: open incidents, the outbox, what was sent, problems. */
class SentinelMetricsTest {
  @Test
  void alertsAreMetricsTooSoAGrowingOutboxCanBeAlarmedOn() throws Exception {
    SentinelMetrics metrics = new SentinelMetrics();
    AlertSummary alerts = new AlertSummary(List.of(
        new AlertSummary.OpenIncident(1, "stuck_batches", "batch 1", Status.CRITICAL, Instant.EPOCH, false, null, null),
        new AlertSummary.OpenIncident(2, "lost_events", "object a", Status.WARNING, Instant.EPOCH, false, 3L, "later")),
        2, 3, 4, List.of("slack:#alerts refused: invalid_auth"));
    Report report = new Report(Report.SCHEMA_VERSION, "s", Instant.EPOCH, 12, Status.CRITICAL,
        List.of(CheckResult.of("stuck_batches", Status.CRITICAL, "x")), null, alerts);
    metrics.observe(report);
    metrics.observe(report);

    var out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, metrics.registry().scrape());
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("sentinel_alert_incidents_open 2.0")
        .contains("sentinel_alert_outbox_pending 4.0").contains("sentinel_alerts_sent_total 6.0")
        .contains("sentinel_alert_problems 1.0");
  }
}
