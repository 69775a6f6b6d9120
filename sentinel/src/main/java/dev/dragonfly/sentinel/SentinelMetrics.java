package dev.dragonfly.sentinel;

import dev.dragonfly.sentinel.check.Action;
import dev.dragonfly.sentinel.check.CheckResult;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** What {@code /metrics} serves (Prometheus text format), updated after every pass. */
final class SentinelMetrics {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Counter passes = Counter.builder().name("sentinel_passes_total")
      .help("Sentinel passes by verdict").labelNames("status").register(registry);
  private final Histogram duration = Histogram.builder().name("sentinel_pass_duration_seconds")
      .help("Wall time of one pass").classicUpperBounds(0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30).register(registry);
  private final Gauge lastPass = Gauge.builder().name("sentinel_last_pass_timestamp_seconds")
      .help("When the last pass ran (the pass's clock), in Unix seconds").register(registry);
  private final Gauge checkStatus = Gauge.builder().name("sentinel_check_status")
      .help("Each check's last status as a Nagios code: 0 ok or skipped, 1 warning, 2 critical, 3 unknown")
      .labelNames("check").register(registry);
  private final Gauge findings = Gauge.builder().name("sentinel_check_findings")
      .help("Subjects each check found wrong in the last pass").labelNames("check").register(registry);
  private final Counter heals = Counter.builder().name("sentinel_heals_total")
      .help("Self-heals by check and action (each also in the audit table)").labelNames("check", "action").register(registry);

  private final Gauge incidents = Gauge.builder().name("sentinel_alert_incidents_open")
      .help("Open alert incidents after the last pass, silenced ones included").register(registry);
  private final Gauge pending = Gauge.builder().name("sentinel_alert_outbox_pending")
      .help("Alerts waiting in the outbox after the last pass (growing: Slack or SNS is not taking them)").register(registry);
  private final Counter sent = Counter.builder().name("sentinel_alerts_sent_total")
      .help("Alert messages Slack or SNS took").register(registry);
  private final Gauge problems = Gauge.builder().name("sentinel_alert_problems")
      .help("Problems deciding or delivering alerts in the last pass (a refused token, the database)").register(registry);
  private final Gauge parked = Gauge.builder().name("sentinel_alert_outbox_parked")
      .help("Alerts parked in the last hour: Slack or SNS refused them as such, they will not be sent (runbooks/alerts.md)")
      .register(registry);
  private final Gauge heldBack = Gauge.builder().name("sentinel_alert_routes_held_back")
      .help("Alert destinations whose alerts wait behind one that cannot be sent yet, after the last pass").register(registry);

  PrometheusRegistry registry() {
    return registry;
  }

  void observe(Report report) {
    passes.labelValues(report.status().label()).inc();
    duration.observe(report.durationMs() / 1000.0);
    lastPass.set(report.startedAt().toEpochMilli() / 1000.0);
    for (CheckResult c : report.checks()) {
      checkStatus.labelValues(c.check()).set(c.status().exitCode());
      findings.labelValues(c.check()).set(c.findings().size());
      for (Action a : c.actions()) heals.labelValues(c.check(), a.action()).inc();
    }
    if (report.alerts() != null) {
      incidents.set(report.alerts().incidents().size());
      pending.set(report.alerts().pending());
      sent.inc(report.alerts().sent());
      problems.set(report.alerts().problems().size());
      parked.set(report.alerts().parked());
      heldBack.set(report.alerts().heldBack().size());
    }
  }
}
