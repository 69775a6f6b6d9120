-- Views an operator queries. Dry runs are previews and stay out of both.

-- Hourly batch performance by source: rows, invalid rows, error rate.
CREATE VIEW intake.batch_performance_hourly AS
SELECT date_trunc('hour', b.finished_at)                                   AS hour,
       b.source,
       count(*)                                                            AS batches,
       count(*) FILTER (WHERE b.status = 'completed')                      AS completed,
       count(*) FILTER (WHERE b.status = 'failed')                         AS failed,
       coalesce(sum(b.rows_total), 0)                                      AS rows_total,
       coalesce(sum(b.rows_invalid), 0)                                    AS rows_invalid,
       round(100.0 * sum(b.rows_invalid) / nullif(sum(b.rows_total), 0), 2) AS error_rate_percent,
       round(avg(extract(epoch FROM b.finished_at - b.started_at))::numeric, 2) AS avg_seconds
FROM intake.batches b
WHERE NOT b.dry_run
  AND b.finished_at IS NOT NULL
  AND b.status IN ('completed', 'failed', 'rolled_back')
GROUP BY 1, 2;

-- Error distribution over the last 24 hours: code, count, affected batches, a sample message.
-- Only each batch's current attempt counts; messages never hold row values.
CREATE VIEW intake.error_distribution_24h AS
SELECT e.code,
       count(*)                   AS errors,
       count(DISTINCT e.batch_id) AS affected_batches,
       min(e.message)             AS sample_message
FROM intake.row_errors e
JOIN intake.batches b ON b.id = e.batch_id AND b.attempt = e.attempt
WHERE e.created_at > now() - interval '24 hours'
  AND NOT b.dry_run
GROUP BY e.code;
