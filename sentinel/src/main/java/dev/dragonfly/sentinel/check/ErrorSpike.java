package dev.dragonfly.sentinel.check;

import dev.dragonfly.intake.ErrorCode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Jdbi;

/**
 * {@code error_spike} (runbooks/error-spike.md): per source, over the batches it finished in the
 * window (default the last hour), two shares. Invalid rows: at or above the warning (10%) or
 * critical (50%) percentage, once the source sent a minimum of rows (100; a ten-row file with
 * one bad row is no spike). Rejected files: batches failed with a file-level code (a renamed
 * header, a malformed file, an error rate over the threshold) at or above their own percentage
 * (50%, WARNING), once the source sent a minimum of batches (3); such a file has no rows
 * counted, so the row share cannot see it. Findings carry the top codes with counts, the batches
 * most affected and sample messages (a header rejection's message names the headers the file
 * has, which is what an alias needs); row error messages never hold row values. No heal: bad
 * vendor data is fixed by the vendor or by the source profile.
 */
public final class ErrorSpike implements Check {
  public static final String NAME = "error_spike";
  private static final int TOP = 5;
  /**
   * The codes that reject a file for what it holds: every file-level code but OBJECT_NOT_FOUND
   * and OBJECT_SUPERSEDED (the object was deleted, or a newer version uploaded, before it was
   * read: nothing about the vendor's data; a vendor correcting a file quickly is no spike).
   */
  static final List<String> FILE_CODES = Arrays.stream(ErrorCode.values())
      .filter(c -> c.rejectsFile() && c != ErrorCode.OBJECT_NOT_FOUND && c != ErrorCode.OBJECT_SUPERSEDED)
      .map(ErrorCode::name).toList();
  /** The batches each share is taken over: decided, not a dry run, finished in the window. */
  private static final String DECIDED_IN_WINDOW = """
      NOT b.dry_run AND b.status IN ('completed', 'failed', 'rolled_back')
        AND b.finished_at > :since AND b.finished_at <= :now""";

  /**
   * The thresholds. Row percentages are of invalid rows among all rows of the window; the
   * rejected-files percentage is of batches failed with a file-level code among all batches.
   */
  public record Thresholds(Duration window, BigDecimal warningPercent, BigDecimal criticalPercent, long minRows,
                           BigDecimal rejectedFilesPercent, long minBatches) {
    public static final BigDecimal REJECTED_FILES_PERCENT_DEFAULT = new BigDecimal("50");
    public static final long MIN_BATCHES_DEFAULT = 3;

    public Thresholds {
      if (minBatches < 1) throw new IllegalArgumentException("SENTINEL_ERROR_SPIKE_MIN_BATCHES must be 1 or more: " + minBatches);
    }
  }

  private final Jdbi jdbi;
  private final Thresholds thresholds;

  public ErrorSpike(Jdbi jdbi, Thresholds thresholds) {
    this.jdbi = jdbi;
    this.thresholds = thresholds;
  }

  @Override public String name() {
    return NAME;
  }

  private record SourceWindow(String source, long batches, long rowsTotal, long rowsInvalid, long rejectedFiles) {
    BigDecimal percent() {
      return share(rowsInvalid, rowsTotal);
    }

    BigDecimal rejectedPercent() {
      return share(rejectedFiles, batches);
    }

    private static BigDecimal share(long part, long whole) {
      return whole == 0 ? BigDecimal.ZERO
          : BigDecimal.valueOf(part * 100).divide(BigDecimal.valueOf(whole), 2, RoundingMode.HALF_UP);
    }
  }

  @Override public CheckResult run(Instant now) {
    Instant since = now.minus(thresholds.window());
    List<SourceWindow> sources = jdbi.withHandle(h -> h.createQuery("""
            SELECT b.source, count(*) AS batches, coalesce(sum(b.rows_total), 0) AS rows_total,
                   coalesce(sum(b.rows_invalid), 0) AS rows_invalid,
                   count(*) FILTER (WHERE b.status = 'failed' AND EXISTS (
                       SELECT 1 FROM intake.row_errors e
                        WHERE e.batch_id = b.id AND e.attempt = b.attempt AND e.code = ANY(:codes))) AS rejected_files
            FROM intake.batches b
            WHERE""" + " " + DECIDED_IN_WINDOW + """

            GROUP BY b.source ORDER BY b.source""")
        .bind("since", since).bind("now", now).bindArray("codes", String.class, FILE_CODES)
        .map((rs, ctx) -> new SourceWindow(rs.getString("source"), rs.getLong("batches"), rs.getLong("rows_total"),
            rs.getLong("rows_invalid"), rs.getLong("rejected_files")))
        .list());

    List<Finding> findings = new ArrayList<>();
    for (SourceWindow s : sources) {
      Status rows = rowStatus(s);
      Status files = fileStatus(s);
      if (rows == Status.OK && files == Status.OK) continue;
      findings.add(finding(s, rows, files, since, now));
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("window_minutes", thresholds.window().toMinutes());
    details.put("warning_percent", thresholds.warningPercent());
    details.put("critical_percent", thresholds.criticalPercent());
    details.put("min_rows", thresholds.minRows());
    details.put("rejected_files_percent", thresholds.rejectedFilesPercent());
    details.put("min_batches", thresholds.minBatches());
    details.put("sources", sources.stream().map(s -> Map.of("source", s.source(), "batches", s.batches(),
        "rows_total", s.rowsTotal(), "rows_invalid", s.rowsInvalid(), "invalid_percent", s.percent(),
        "rejected_files", s.rejectedFiles())).toList());
    if (findings.isEmpty()) {
      long rows = sources.stream().mapToLong(SourceWindow::rowsTotal).sum();
      long rejected = sources.stream().mapToLong(SourceWindow::rejectedFiles).sum();
      return CheckResult.of(NAME, Status.OK, "no error spike over the last " + StuckBatches.human(thresholds.window())
          + " (" + rows + " rows in " + sources.stream().mapToLong(SourceWindow::batches).sum() + " batches, "
          + rejected + " file(s) rejected)")
          .withDetails(details);
    }
    return new CheckResult(NAME, CheckResult.worstOf(findings),
        findings.stream().map(Finding::summary).collect(Collectors.joining("; ")), details, findings, List.of());
  }

  private Status rowStatus(SourceWindow s) {
    if (s.rowsTotal() < thresholds.minRows()) return Status.OK;
    BigDecimal percent = s.percent();
    return percent.compareTo(thresholds.criticalPercent()) >= 0 ? Status.CRITICAL
        : percent.compareTo(thresholds.warningPercent()) >= 0 ? Status.WARNING : Status.OK;
  }

  private Status fileStatus(SourceWindow s) {
    if (s.batches() < thresholds.minBatches() || s.rejectedFiles() == 0) return Status.OK;
    return s.rejectedPercent().compareTo(thresholds.rejectedFilesPercent()) >= 0 ? Status.WARNING : Status.OK;
  }

  private Finding finding(SourceWindow s, Status rows, Status files, Instant since, Instant now) {
    List<Map<String, Object>> codes = jdbi.withHandle(h -> h.createQuery("""
            SELECT e.code, count(*) AS errors, count(DISTINCT e.batch_id) AS batches, min(e.message) AS sample_message
            FROM intake.batches b
            JOIN intake.row_errors e ON e.batch_id = b.id AND e.attempt = b.attempt
            WHERE""" + " " + DECIDED_IN_WINDOW + """
             AND b.source = :source
            GROUP BY e.code ORDER BY errors DESC, e.code LIMIT :top""")
        .bind("since", since).bind("now", now).bind("source", s.source()).bind("top", TOP)
        .mapToMap().list());
    List<Map<String, Object>> batches = jdbi.withHandle(h -> h.createQuery("""
            SELECT b.id AS batch_id, b.status, b.rows_total, b.rows_invalid
            FROM intake.batches b
            WHERE""" + " " + DECIDED_IN_WINDOW + """
             AND b.source = :source AND b.rows_invalid > 0
            ORDER BY b.rows_invalid DESC, b.id LIMIT :top""")
        .bind("since", since).bind("now", now).bind("source", s.source()).bind("top", TOP)
        .mapToMap().list());
    List<Map<String, Object>> rejections = files == Status.OK ? List.of() : rejections(s, since, now);
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("source", s.source());
    facts.put("invalid_percent", s.percent());
    facts.put("rows_total", s.rowsTotal());
    facts.put("rows_invalid", s.rowsInvalid());
    facts.put("batches", s.batches());
    facts.put("rejected_files", s.rejectedFiles());
    if (!rejections.isEmpty()) facts.put("file_rejections", rejections);
    facts.put("top_error_codes", codes);
    facts.put("most_affected_batches", batches);

    List<String> parts = new ArrayList<>();
    String window = StuckBatches.human(thresholds.window());
    if (rows != Status.OK) {
      String top = codes.stream().map(c -> c.get("code") + " " + c.get("errors")).collect(Collectors.joining(", "));
      String sample = codes.isEmpty() ? "" : "; e.g. \"" + codes.get(0).get("sample_message") + "\"";
      parts.add(s.percent().stripTrailingZeros().toPlainString() + "% of rows invalid over the last " + window + " ("
          + s.rowsInvalid() + " of " + s.rowsTotal() + " rows in " + s.batches() + " batches; " + top + ")" + sample);
    }
    if (files != Status.OK) {
      parts.add(s.rejectedFiles() + " of " + s.batches() + " files rejected whole over the last " + window + " ("
          + rejections.stream().map(r -> r.get("code") + " in " + r.get("batches") + " file(s): \"" + r.get("sample_message") + "\"")
              .collect(Collectors.joining("; ")) + ")");
    }
    Object worst = rows != Status.OK && !batches.isEmpty() ? batches.get(0).get("batch_id")
        : !rejections.isEmpty() ? rejections.get(0).get("latest_batch_id") : batches.isEmpty() ? "ID" : batches.get(0).get("batch_id");
    String next = files != Status.OK && rows == Status.OK
        ? "; run 'sentinel batch errors " + worst + "', then fix the export with the vendor or the source profile's aliases"
            + " and re-ingest the rejected batches"
        : "; run 'sentinel batch errors " + worst + "'";
    return new Finding("source " + s.source(), rows.atLeast(files) ? rows : files,
        "source " + s.source() + ": " + String.join("; ", parts) + next, facts);
  }

  /** Per file-level code: the batches it rejected, the latest of them and one message (for a header, its columns). */
  private List<Map<String, Object>> rejections(SourceWindow s, Instant since, Instant now) {
    return jdbi.withHandle(h -> h.createQuery("""
            SELECT e.code, count(DISTINCT b.id) AS batches, max(b.id) AS latest_batch_id, min(e.message) AS sample_message
            FROM intake.batches b
            JOIN intake.row_errors e ON e.batch_id = b.id AND e.attempt = b.attempt
            WHERE""" + " " + DECIDED_IN_WINDOW + """
             AND b.source = :source AND b.status = 'failed' AND e.code = ANY(:codes)
            GROUP BY e.code ORDER BY batches DESC, e.code LIMIT :top""")
        .bind("since", since).bind("now", now).bind("source", s.source()).bindArray("codes", String.class, FILE_CODES)
        .bind("top", TOP)
        .mapToMap().list());
  }
}
