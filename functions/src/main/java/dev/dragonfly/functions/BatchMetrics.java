package dev.dragonfly.functions;

import dev.dragonfly.intake.IntakeResult;
import dev.dragonfly.intake.Json;
import java.io.PrintStream;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-batch metrics in CloudWatch Embedded Metric Format: one JSON line on standard output that
 * CloudWatch turns into RowsTotal, RowsInvalid, ErrorRatePercent and DurationMs by source.
 */
public final class BatchMetrics {
  private final String namespace;
  private final PrintStream out;
  private final Clock clock;

  public BatchMetrics(String namespace, PrintStream out, Clock clock) {
    this.namespace = namespace;
    this.out = out;
    this.clock = clock;
  }

  public void emit(IntakeResult r) {
    double errorRate = r.rowsTotal() == 0 ? 0 : 100.0 * r.rowsInvalid() / r.rowsTotal();
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("_aws", Map.of(
        "Timestamp", clock.millis(),
        "CloudWatchMetrics", List.of(Map.of(
            "Namespace", namespace,
            "Dimensions", List.of(List.of("source")),
            "Metrics", List.of(
                Map.of("Name", "RowsTotal", "Unit", "Count"),
                Map.of("Name", "RowsInvalid", "Unit", "Count"),
                Map.of("Name", "ErrorRatePercent", "Unit", "Percent"),
                Map.of("Name", "DurationMs", "Unit", "Milliseconds"))))));
    line.put("source", r.source());
    line.put("status", r.status());
    line.put("batch_id", r.batchId());
    line.put("RowsTotal", r.rowsTotal());
    line.put("RowsInvalid", r.rowsInvalid());
    line.put("ErrorRatePercent", Math.round(errorRate * 100) / 100.0);
    line.put("DurationMs", r.durationMillis());
    out.println(Json.write(line));
  }
}
