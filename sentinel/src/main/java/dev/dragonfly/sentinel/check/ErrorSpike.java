package dev.dragonfly.sentinel.check;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;

/**
 * {@code error_spike} (runbooks/error-spike.md): the share of invalid rows in the batches each
 * source finished over the window (default the last hour), at or above the warning or critical
 * percentage, once the source sent at least a minimum number of rows (a ten-row file with one
 * bad row is no spike). Findings carry the top error codes with counts, the batches most
 * affected and one sample message; row error messages never hold row values. No heal: bad
 * vendor data is fixed by the vendor.
 */
public final class ErrorSpike implements Check {
  public static final String NAME = "error_spike";
  private static final int TOP = 5;

  /** The thresholds; percentages of invalid rows among all rows of the window. */
  public record Thresholds(Duration window, BigDecimal warningPercent, BigDecimal criticalPercent, long minRows) {}

  private final Jdbi jdbi;
  private final Thresholds thresholds;

  public ErrorSpike(Jdbi jdbi, Thresholds thresholds) {
    this.jdbi = jdbi;
    this.thresholds = thresholds;
  }

  @Override public String name() {
    return NAME;
  }

  private record SourceWindow(String source, long batches, long rowsTotal, long rowsInvalid) {
    BigDecimal percent() {
      return rowsTotal == 0 ? BigDecimal.ZERO
          : BigDecimal.valueOf(rowsInvalid * 100).divide(BigDecimal.valueOf(rowsTotal), 2, RoundingMode.HALF_UP);
    }
  }

  @Override public CheckResult run(Instant now) {
    Instant since = now.minus(thresholds.window());
    List<SourceWindow> sources = jdbi.withHandle(h -> h.createQuery("""
            SELECT source, count(*) AS batches, coalesce(sum(rows_total), 0) AS rows_total,
                   coalesce(sum(rows_invalid), 0) AS rows_invalid
            FROM intake.batches
            WHERE NOT dry_run AND status IN ('completed', 'failed', 'rolled_back')
              AND finished_at > :since AND finished_at <= :now
            GROUP BY source ORDER BY source""")
        .bind("since", since).bind("now", now)
        .map((rs, ctx) -> new SourceWindow(rs.getString("source"), rs.getLong("batches"), rs.getLong("rows_total"),
            rs.getLong("rows_invalid")))
        .list());

    List<Finding> findings = new ArrayList<>();
    for (SourceWindow s : sources) {
      if (s.rowsTotal() < thresholds.minRows()) continue;
      BigDecimal percent = s.percent();
      Status status = percent.compareTo(thresholds.criticalPercent()) >= 0 ? Status.CRITICAL
          : percent.compareTo(thresholds.warningPercent()) >= 0 ? Status.WARNING : Status.OK;
      if (status == Status.OK) continue;
      findings.add(finding(s, status, since, now));
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("window_minutes", thresholds.window().toMinutes());
    details.put("warning_percent", thresholds.warningPercent());
    details.put("critical_percent", thresholds.criticalPercent());
    details.put("min_rows", thresholds.minRows());
    details.put("sources", sources.stream().map(s -> Map.of("source", s.source(), "batches", s.batches(),
        "rows_total", s.rowsTotal(), "rows_invalid", s.rowsInvalid(), "invalid_percent", s.percent())).toList());
    if (findings.isEmpty()) {
      long rows = sources.stream().mapToLong(SourceWindow::rowsTotal).sum();
      return CheckResult.of(NAME, Status.OK, "no error spike over the last " + StuckBatches.human(thresholds.window())
          + " (" + rows + " rows in " + sources.stream().mapToLong(SourceWindow::batches).sum() + " batches)")
          .withDetails(details);
    }
    return new CheckResult(NAME, CheckResult.worstOf(findings),
        findings.stream().map(Finding::summary).collect(Collectors.joining("; ")), details, findings, List.of());
  }

  private Finding finding(SourceWindow s, Status status, Instant since, Instant now) {
    List<Map<String, Object>> codes = jdbi.withHandle(h -> h.createQuery("""
            SELECT e.code, count(*) AS errors, count(DISTINCT e.batch_id) AS batches, min(e.message) AS sample_message
            FROM intake.batches b
            JOIN intake.row_errors e ON e.batch_id = b.id AND e.attempt = b.attempt
            WHERE NOT b.dry_run AND b.status IN ('completed', 'failed', 'rolled_back')
              AND b.finished_at > :since AND b.finished_at <= :now AND b.source = :source
            GROUP BY e.code ORDER BY errors DESC, e.code LIMIT :top""")
        .bind("since", since).bind("now", now).bind("source", s.source()).bind("top", TOP)
        .map((rs, ctx) -> {
          Map<String, Object> code = new LinkedHashMap<>();
          code.put("code", rs.getString("code"));
          code.put("errors", rs.getLong("errors"));
          code.put("batches", rs.getLong("batches"));
          code.put("sample_message", rs.getString("sample_message"));
          return code;
        }).list());
    List<Map<String, Object>> batches = jdbi.withHandle(h -> h.createQuery("""
            SELECT id, status, rows_total, rows_invalid
            FROM intake.batches
            WHERE NOT dry_run AND status IN ('completed', 'failed', 'rolled_back')
              AND finished_at > :since AND finished_at <= :now AND source = :source AND rows_invalid > 0
            ORDER BY rows_invalid DESC, id LIMIT :top""")
        .bind("since", since).bind("now", now).bind("source", s.source()).bind("top", TOP)
        .map((rs, ctx) -> {
          Map<String, Object> batch = new LinkedHashMap<>();
          batch.put("batch_id", rs.getLong("id"));
          batch.put("status", rs.getString("status"));
          batch.put("rows_total", rs.getLong("rows_total"));
          batch.put("rows_invalid", rs.getLong("rows_invalid"));
          return batch;
        }).list());
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("source", s.source());
    facts.put("invalid_percent", s.percent());
    facts.put("rows_total", s.rowsTotal());
    facts.put("rows_invalid", s.rowsInvalid());
    facts.put("batches", s.batches());
    facts.put("top_error_codes", codes);
    facts.put("most_affected_batches", batches);
    String top = codes.stream().map(c -> c.get("code") + " " + c.get("errors")).collect(Collectors.joining(", "));
    String sample = codes.isEmpty() ? "" : "; e.g. \"" + codes.get(0).get("sample_message") + "\"";
    return new Finding("source " + s.source(), status, "source " + s.source() + ": " + s.percent().stripTrailingZeros().toPlainString()
        + "% of rows invalid over the last " + StuckBatches.human(thresholds.window()) + " (" + s.rowsInvalid() + " of "
        + s.rowsTotal() + " rows in " + s.batches() + " batches; " + top + ")" + sample
        + "; run 'sentinel batch errors " + (batches.isEmpty() ? "ID" : batches.get(0).get("batch_id")) + "'", facts);
  }
}
