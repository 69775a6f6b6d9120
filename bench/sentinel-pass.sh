#!/usr/bin/env bash
# Sentinel pass benchmark (README "Benchmark: sentinel pass"). Into a database holding BATCHES
# batches over DAYS days and ROW_ERRORS row errors, generated in SQL (nothing is written to
# disk but the database), it runs `sentinel --json` PASSES times and reports the pass's own
# duration_ms (JVM start excluded): the first pass after a server restart separately (cold),
# then the median and p95 of the rest (warm). Then it prints EXPLAIN (ANALYZE, BUFFERS) of every
# query a pass runs, with the parameters a pass would bind, and, when it started the server
# itself, each statement of one more pass as the server logged it (its time per check). It also
# runs LOOP_PASSES passes in one long-lived `sentinel --loop` process: a pass there reuses a warm
# JVM, so what remains is the database and the connections the pass opens.
#
# The data: mostly completed batches, some failed, duplicate (content duplicates and
# redeliveries), dry-run and rolled-back ones, over several source profiles; a handful in
# processing states with fresh heartbeats and a few uploaded with a fresh released_at (refreshed
# before every pass, as live workers would), so stuck_batches looks but finds nothing stale; row
# errors with the validator's codes and messages (no row values), at the batch's attempt; a
# normal error rate (about 1%) over the last hour. SPIKE=1 gives one source a 25% error rate
# over the last hour, so that error_spike also runs its per-source finding queries.
#
# Env: BATCHES (1000000), ROW_ERRORS (10000000), DAYS (30), PASSES (20, the cold one included),
# LOOP_PASSES (11 passes of one `sentinel --loop --interval 5s` process, the first in a new JVM; 0 skips),
# SPIKE (0), JAR (sentinel/target/sentinel.jar), REUSE=1 keeps an intake_bench database that
# already holds BATCHES batches (with BENCH_DATABASE_URL; a throwaway server starts empty).
# Needs what bench/run.sh needs (a JDK, Maven, psql, pg_dump, jq, and BENCH_DATABASE_URL or
# initdb/pg_ctl on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

BATCHES=${BATCHES:-1000000}
ROW_ERRORS=${ROW_ERRORS:-10000000}
DAYS=${DAYS:-30}
PASSES=${PASSES:-20}
SPIKE=${SPIKE:-0}
REUSE=${REUSE:-0}
LOOP_PASSES=${LOOP_PASSES:-11}
OUT=bench/out
JAR=${JAR:-sentinel/target/sentinel.jar}
mkdir -p "$OUT"
[ -f "$JAR" ] || mvn -B -q package -DskipTests
if ! command -v initdb >/dev/null && [ -z "${BENCH_DATABASE_URL:-}" ]; then
  PATH=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1):$PATH
fi
# the pass must see no AWS or PostgREST configuration: the checks that need one are skipped
unset INTAKE_BUCKET EVENTS_TOPIC_ARN POSTGREST_URL SENTINEL_PING_URL DATABASE_SECRET_ARN

source bench/server.sh
psql_bench() { psql "$BENCH_DB" -X -q -v ON_ERROR_STOP=1 "$@"; }
sentinel() { DATABASE_URL=$BENCH_DB java -jar "$JAR" "$@"; }

echo "command: BATCHES=$BATCHES ROW_ERRORS=$ROW_ERRORS DAYS=$DAYS PASSES=$PASSES SPIKE=$SPIKE bench/sentinel-pass.sh"
echo "machine: load average $(cut -d' ' -f1-3 /proc/loadavg) at start, $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/^Mem/ {print $2}') GB RAM," \
  "PostgreSQL $(psql_admin -tA -c 'SHOW server_version') on loopback, $(java -version 2>&1 | head -1)"

have=0
if [ "$REUSE" = 1 ] && psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = 'intake_bench'" | grep -q 1; then
  have=$(psql_bench -tA -c "SELECT count(*) FROM intake.batches" 2>/dev/null || echo 0)
fi
if [ "$have" != "$BATCHES" ]; then
  t0=$(now)
  psql_admin -c "DROP DATABASE IF EXISTS intake_bench" -c "CREATE DATABASE intake_bench" \
             -c "DROP DATABASE IF EXISTS intake_schema_ref" -c "CREATE DATABASE intake_schema_ref"
  DATABASE_URL="${ADMIN%/*}/intake_schema_ref" java -jar "$JAR" migrate >"$OUT/migrate-ref.log" 2>&1 & ref_migrate=$!
  sentinel migrate >/dev/null
  t1=$(now)
  # statement times in $OUT/generate.log
  psql_bench -v batches="$BATCHES" -v row_errors="$ROW_ERRORS" -v days="$DAYS" -v spike="$SPIKE" >"$OUT/generate.log" <<'SQL'
SET maintenance_work_mem = '1GB';
SET max_parallel_maintenance_workers = 2;
SET synchronous_commit = off;
SET datestyle = 'ISO';
\timing on
SELECT now() AS t_now \gset

-- A deterministic draw in [0, 1000) per batch id and purpose k.
CREATE FUNCTION pg_temp.u(id bigint, k int) RETURNS int IMMUTABLE LANGUAGE sql
  AS 'SELECT (abs(hashint8extended(id, k)) % 1000)::int';

-- Source profiles: judgments (V1) and seven more. Source of a batch: slot id % 16, so a batch
-- and the batch 16 before it (its duplicate's original) have the same source.
INSERT INTO intake.source_profiles (name, dataset, error_threshold_percent) VALUES
  ('acme-courts', 'judgments', 30), ('county-clerk-east', 'judgments', 10), ('county-clerk-west', 'judgments', 10),
  ('lexdata', 'judgments', 5), ('courtfeed', 'judgments', 10), ('metro-civil', 'judgments', 15),
  ('state-registry', 'judgments', 10);

-- The plan of every batch, then the batches and row errors from it. Historic batches are
-- created evenly from DAYS ago to 4 minutes ago and take 2 s to 3 min; the last 12 are live.
CREATE UNLOGGED TABLE bench_plan AS
WITH drawn AS (
  SELECT id,
         CASE WHEN id > :batches - 12 THEN (ARRAY['staging','staging','validating','validating','inserting',
                'inserting','inserting','inserting','uploaded','uploaded','uploaded','uploaded'])[(id - :batches + 12)::int]
              WHEN s0 = 'duplicate' AND (id <= 16 OR s16 <> 'completed' OR (id - 16) % 50 = 7) THEN 'completed'
              ELSE s0 END AS status,
         s0 IN ('completed', 'failed') AND id % 50 = 7 AND id <= :batches - 12 AS dry_run,
         CASE WHEN pg_temp.u(id, 6) < 20 THEN 2 WHEN pg_temp.u(id, 6) < 22 THEN 3 ELSE 1 END AS attempt,
         (ARRAY['judgments','judgments','judgments','judgments','judgments','acme-courts','acme-courts',
                'acme-courts','county-clerk-east','county-clerk-east','county-clerk-west','county-clerk-west',
                'lexdata','courtfeed','metro-civil','state-registry'])[id % 16 + 1] AS source,
         CASE WHEN id > :batches - 12 THEN :'t_now'::timestamptz - (:batches - id + 1) * interval '13 s'
              ELSE :'t_now'::timestamptz - :days * interval '1 day'
                   + (id - 1) * ((:days * interval '1 day' - interval '4 min') / greatest(:batches - 13, 1)) END AS created_at,
         interval '2 s' + pg_temp.u(id, 7) * interval '178 ms' AS took
  FROM (SELECT id,
               CASE WHEN pg_temp.u(id, 1) < 920 THEN 'completed' WHEN pg_temp.u(id, 1) < 960 THEN 'failed'
                    WHEN pg_temp.u(id, 1) < 990 THEN 'duplicate' ELSE 'rolled_back' END AS s0,
               CASE WHEN pg_temp.u(id - 16, 1) < 920 THEN 'completed' ELSE 'other' END AS s16
        FROM generate_series(1, :batches::bigint) id) d
), weighted AS (
  SELECT *, CASE WHEN status IN ('duplicate', 'staging', 'validating', 'inserting', 'uploaded') THEN 0
                 WHEN status = 'failed' THEN 1 + pg_temp.u(id, 2) % 20
                 ELSE pg_temp.u(id, 2) % 21 END AS w
  FROM drawn
), allotted AS ( -- exactly ROW_ERRORS errors, shared in proportion to the weights
  SELECT *, sum(w) OVER (ORDER BY id) AS cum_w, sum(w) OVER () AS all_w FROM weighted
)
SELECT id, status, dry_run, attempt, source, created_at, took,
       (:row_errors::bigint * cum_w / all_w - :row_errors::bigint * (cum_w - w) / all_w)::int AS n_err,
       :spike::int = 1 AND source = 'acme-courts' AND created_at > :'t_now'::timestamptz - interval '65 min' AS spiking
FROM allotted;

-- Both tables are loaded with their secondary indexes and foreign keys set aside; both are put
-- back afterwards exactly as the migrations defined them (and the foreign keys are validated).
CREATE TEMP TABLE set_aside AS
SELECT 1 AS step, format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid)) AS ddl,
       format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) AS undo
FROM pg_constraint WHERE conrelid IN ('intake.batches'::regclass, 'intake.row_errors'::regclass) AND contype = 'f'
UNION ALL
SELECT 0, pg_get_indexdef(i.indexrelid), format('DROP INDEX intake.%I', c.relname)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid IN ('intake.batches'::regclass, 'intake.row_errors'::regclass)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid);
DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT undo FROM set_aside ORDER BY step DESC LOOP EXECUTE r.undo; END LOOP;
END $$;

INSERT INTO intake.batches (id, source, object_key, object_version, status, dry_run, attempt, owner_token,
    heartbeat_at, content_sha256, bytes_read, error_threshold_percent, rows_total, rows_valid, rows_invalid,
    rows_inserted, rows_updated, rows_unchanged, rejection_reason, duplicate_of, last_error, rollback_reason,
    created_at, started_at, finished_at, rolled_back_at, redelivery, results_written_at, event_published_at,
    released_at, redrives)
OVERRIDING SYSTEM VALUE
SELECT id, source,
       CASE WHEN redelivery THEN key16 ELSE key END,
       CASE WHEN redelivery THEN md5((id - 16)::text) ELSE md5(id::text) END,
       status, dry_run, attempt,
       CASE WHEN live AND status <> 'uploaded' THEN md5(id::text || 'token')::uuid END,
       CASE WHEN live AND status <> 'uploaded' THEN :'t_now'::timestamptz - pg_temp.u(id, 8) * interval '10 ms'
            WHEN status = 'duplicate' OR live THEN NULL
            ELSE created_at + took - interval '1 s' END,
       CASE WHEN status = 'duplicate' AND NOT redelivery THEN encode(sha256(int8send(id - 16)), 'hex')
            WHEN status IN ('completed', 'rolled_back', 'failed') THEN encode(sha256(int8send(id)), 'hex') END,
       CASE WHEN status IN ('completed', 'rolled_back', 'failed') OR (status = 'duplicate' AND NOT redelivery)
            THEN total * 180 END,
       10,
       CASE WHEN counted THEN total END,
       CASE WHEN counted THEN total - invalid END,
       CASE WHEN counted THEN invalid END,
       CASE WHEN loaded THEN inserted END,
       CASE WHEN loaded THEN updated END,
       CASE WHEN loaded THEN total - invalid - inserted - updated END,
       CASE WHEN status = 'failed' THEN 'ERROR_RATE_EXCEEDED: ' || round(100.0 * invalid / total, 1)
                                        || '% of rows are invalid; the source allows 10%' END,
       CASE WHEN status = 'duplicate' THEN id - 16 END,
       CASE WHEN attempt > 1 THEN 'database unavailable: connection reset (attempt ' || (attempt - 1) || ')' END,
       CASE WHEN status = 'rolled_back' THEN 'vendor asked: the wrong file was sent' END,
       created_at,
       CASE WHEN status = 'uploaded' OR status = 'duplicate' THEN NULL ELSE created_at + interval '500 ms' END,
       CASE WHEN decided THEN created_at + took END,
       CASE WHEN status = 'rolled_back' THEN least(created_at + took + interval '1 day', :'t_now'::timestamptz - interval '1 min') END,
       redelivery,
       CASE WHEN decided AND NOT dry_run THEN created_at + took END,
       CASE WHEN decided AND NOT dry_run THEN created_at + took + interval '50 ms' END,
       CASE WHEN status = 'uploaded' THEN :'t_now'::timestamptz - pg_temp.u(id, 8) * interval '10 ms'
            WHEN attempt > 1 THEN created_at + interval '200 ms' END,
       CASE WHEN attempt > 1 AND pg_temp.u(id, 9) < 500 THEN attempt - 1 ELSE 0 END
FROM (SELECT p.*,
             p.id > :batches - 12 AS live,
             p.status = 'duplicate' AND pg_temp.u(p.id, 3) < 500 AS redelivery,
             p.status IN ('completed', 'rolled_back', 'failed') AS counted,
             p.status IN ('completed', 'rolled_back') AS loaded,
             p.status IN ('completed', 'rolled_back', 'failed', 'duplicate') AS decided,
             'incoming/' || p.source || '/' || p.created_at::date || '/judgments-' || p.id || '.csv' AS key,
             'incoming/' || p.source || '/' || lag(p.created_at, 16) OVER (ORDER BY p.id)::date
               || '/judgments-' || (p.id - 16) || '.csv' AS key16,
             -- failed: the rejecting error is one of n_err; the rest are row errors at about 20%
             CASE WHEN p.status = 'failed' THEN greatest(p.n_err - 1, 0) ELSE p.n_err END AS invalid,
             CASE WHEN p.status = 'failed' OR p.spiking THEN greatest(p.n_err * 4, 1) + pg_temp.u(p.id, 4) % 3
                  ELSE p.n_err * 100 + 50 + pg_temp.u(p.id, 4) END AS total
      FROM bench_plan p) b0
CROSS JOIN LATERAL (SELECT (b0.total - b0.invalid) * pg_temp.u(b0.id, 5) / 1000 AS inserted) s
CROSS JOIN LATERAL (SELECT (b0.total - b0.invalid - s.inserted) / 2 AS updated) s2
ORDER BY id;
SELECT setval(pg_get_serial_sequence('intake.batches', 'id'), (SELECT max(id) FROM intake.batches)) AS last_id \gset


INSERT INTO intake.row_errors (batch_id, attempt, record_number, column_name, code, message, created_at)
SELECT b.id, b.attempt,
       CASE WHEN last_of_failed THEN NULL ELSE 2 + (k - 1) * greatest(b.rows_total / b.n_err, 1) + d % 7 END,
       CASE WHEN last_of_failed THEN NULL ELSE e.column_name END,
       CASE WHEN last_of_failed THEN 'ERROR_RATE_EXCEEDED' ELSE e.code END,
       CASE WHEN last_of_failed THEN 'the file has ' || b.rows_invalid || ' invalid rows of ' || b.rows_total
                                     || '; the source allows 10% invalid rows'
            WHEN e.code = 'DUPLICATE_CASE_NUMBER'
              THEN 'case_number already appears in record ' || (1 + k) || ' of this file; only the first is loaded'
            ELSE e.message END,
       b.started_at + (b.finished_at - b.started_at) * k / (b.n_err + 1)
FROM (SELECT p.n_err, x.id, x.attempt, x.rows_total, x.rows_invalid, x.started_at, x.finished_at, x.status
      FROM bench_plan p JOIN intake.batches x ON x.id = p.id WHERE p.n_err > 0) b
CROSS JOIN LATERAL generate_series(1, b.n_err) k
CROSS JOIN LATERAL (SELECT pg_temp.u(b.id * 64 + k, 10) AS d, b.status = 'failed' AND k = b.n_err AS last_of_failed) r
-- the codes' shares: bucket i of the draw d picks code, column and message i
CROSS JOIN LATERAL (SELECT width_bucket(r.d, ARRAY[0, 250, 330, 450, 600, 720, 820, 900, 950, 980]) AS i) w
CROSS JOIN LATERAL (SELECT
  (ARRAY['INVALID_DATE_FORMAT', 'MISSING_REQUIRED_FIELD', 'MISSING_REQUIRED_FIELD', 'INVALID_AMOUNT', 'INVALID_EMAIL',
         'INVALID_SSN_LAST4', 'DUPLICATE_CASE_NUMBER', 'FIELD_TOO_LONG', 'WRONG_FIELD_COUNT', 'FORMULA_INJECTION'])[w.i] AS code,
  (ARRAY['judgment_date', 'plaintiff_name', 'judgment_amount', 'judgment_amount', 'defendant_email',
         'defendant_ssn_last4', 'case_number', 'defendant_address', NULL, 'plaintiff_name'])[w.i] AS column_name,
  (ARRAY['judgment_date must be a real date written YYYY-MM-DD', 'plaintiff_name is required but empty',
         'judgment_amount is required but empty', 'judgment_amount must be a non-negative amount like 1234.56',
         'defendant_email must be an address like name@example.com', 'defendant_ssn_last4 must be exactly 4 digits',
         '', 'defendant_address is 612 characters long; the limit is 500', 'the record has 9 fields; the header has 10',
         'plaintiff_name starts with =, +, - or @ and would run as a spreadsheet formula'])[w.i] AS message) e;

DO $$ DECLARE r record; BEGIN
  FOR r IN SELECT ddl FROM set_aside ORDER BY step LOOP EXECUTE r.ddl; END LOOP;
END $$;
DROP TABLE bench_plan;
SQL
  t2=$(now)
  psql_bench -c "VACUUM (ANALYZE) intake.batches" -c "VACUUM (ANALYZE) intake.row_errors" -c "ANALYZE"
  t3=$(now)
  # the generated schema must be the migrated one: same tables, indexes and constraints
  wait "$ref_migrate"
  schema() { pg_dump -s -n intake "$1" | grep -v '^\\\(un\)\?restrict '; } # (un)restrict: a random key per dump
  if ! diff <(schema "$BENCH_DB") <(schema "${ADMIN%/*}/intake_schema_ref") >"$OUT/schema.diff"; then
    echo "the benchmark schema differs from the migrated one:"; cat "$OUT/schema.diff"; exit 1
  fi
  psql_admin -c "DROP DATABASE intake_schema_ref"
  printf 'data: generated in %.1f s (migrate %.1f s, insert %.1f s, vacuum+analyze %.1f s)\n' \
    "$(calc "$t3 - $t0")" "$(calc "$t1 - $t0")" "$(calc "$t2 - $t1")" "$(calc "$t3 - $t2")"
else
  echo "data: reusing intake_bench ($have batches)"
fi

# Live workers heartbeat; the few uploaded batches were just released. Without this the
# handful would turn stale during the run and the pass would re-drive them.
refresh_live() {
  psql_bench -c "UPDATE intake.batches SET heartbeat_at = now() - (id % 10) * interval '1 s'
                 WHERE status IN ('staging', 'validating', 'inserting')" \
             -c "UPDATE intake.batches SET released_at = now() - (id % 10) * interval '1 s' WHERE status = 'uploaded'"
}
refresh_live

psql_bench -tA -F '|' <<'SQL' | awk -F '|' '{ printf "  %-18s %9s batches  %s\n", $1, $2, $3 }'
SELECT status || CASE WHEN dry_run THEN '/dry-run' ELSE '' END, count(*),
       CASE WHEN status IN ('staging', 'validating', 'inserting') THEN 'heartbeats ' || round(extract(epoch FROM now() - max(heartbeat_at))) || '-' || round(extract(epoch FROM now() - min(heartbeat_at))) || ' s old'
            WHEN status = 'uploaded' THEN 'released ' || round(extract(epoch FROM now() - max(released_at))) || '-' || round(extract(epoch FROM now() - min(released_at))) || ' s ago'
            ELSE '' END
FROM intake.batches GROUP BY status, dry_run ORDER BY count(*) DESC
SQL
psql_bench -tA <<'SQL'
SELECT format('  %s row errors (%s codes, %s batches with errors), %s sources; batches from %s to %s',
              (SELECT count(*) FROM intake.row_errors), (SELECT count(DISTINCT code) FROM intake.row_errors),
              (SELECT count(DISTINCT batch_id) FROM intake.row_errors), (SELECT count(*) FROM intake.source_profiles),
              (SELECT min(created_at)::timestamptz(0) FROM intake.batches), (SELECT max(created_at)::timestamptz(0) FROM intake.batches));
SELECT format('  last hour: %s decided batches, %s rows, %s%% invalid;  sizes: batches %s, row_errors %s (indexes %s + %s)',
              count(*), sum(rows_total), round(100.0 * sum(rows_invalid) / nullif(sum(rows_total), 0), 2),
              pg_size_pretty(pg_total_relation_size('intake.batches')), pg_size_pretty(pg_table_size('intake.row_errors')),
              pg_size_pretty(pg_relation_size('intake.row_errors_by_batch')), pg_size_pretty(pg_relation_size('intake.row_errors_by_created_at')))
FROM intake.batches WHERE NOT dry_run AND status IN ('completed', 'failed', 'rolled_back') AND finished_at > now() - interval '1 hour';
SQL


one_pass() { # -> duration_ms; the report in $OUT/pass.json, the wall time of the process in $OUT/pass.wall
  refresh_live
  local t0 rc=0; t0=$(now)
  sentinel --json >"$OUT/pass.json" 2>"$OUT/pass.log" || rc=$?
  calc "$(now) - $t0" >"$OUT/pass.wall"
  # all ok; with SPIKE=1 error_spike warns (exit 1) and the rest are ok
  local want=ok code=0; [ "$SPIKE" = 1 ] && want=warning code=1
  if [ "$rc" != "$code" ] || ! jq -e --arg w "$want" '.status == $w and ([.checks[] | select(.status != "ok"
        and .status != "skipped" and .check != "error_spike")] | length == 0)' "$OUT/pass.json" >/dev/null; then
    echo "the pass did not say $want (exit $rc):" >&2; cat "$OUT/pass.json" "$OUT/pass.log" >&2; exit 1
  fi
  jq -r '.duration_ms' "$OUT/pass.json"
}

# Cold: the first pass after a server restart (empty shared buffers; the OS page cache is
# dropped too when this process may). Needs the throwaway server.
cold_note="after a restart of the server"
if [ -n "${PGDIR:-}" ]; then
  "${as_pg[@]}" pg_ctl -D "$PGDIR/data" -l "$PGDIR/log" -m fast -w restart >/dev/null
  if sync && echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then cold_note+=" and a drop of the OS page cache"
  else cold_note+=" (OS page cache not dropped: not permitted here)"; fi
else
  cold_note="the first pass (BENCH_DATABASE_URL: the server was not restarted)"
fi
cold=$(one_pass); cold_wall=$(cat "$OUT/pass.wall")
warm=(); walls=()
for i in $(seq 2 "$PASSES"); do d=$(one_pass); warm+=("$d"); walls+=("$(cat "$OUT/pass.wall")"); done
cp "$OUT/pass.json" "$OUT/sentinel-pass-last.json"
p95() { sort -g | awk '{a[NR]=$1} END {i=int(NR*0.95+0.999); if (i<1) i=1; print a[i]}'; }

echo
echo "pass time (duration_ms of 'sentinel --json', JVM start excluded):"
echo "  cold: $cold ms ($cold_note); process wall time $cold_wall s"
echo "  warm: median $(printf '%s\n' "${warm[@]}" | median) ms, p95 $(printf '%s\n' "${warm[@]}" | p95) ms," \
  "min $(printf '%s\n' "${warm[@]}" | sort -g | head -1), max $(printf '%s\n' "${warm[@]}" | sort -g | tail -1)" \
  "over $((PASSES - 1)) passes; process wall time median $(printf '%s\n' "${walls[@]}" | median) s"
echo "  warm passes (ms): ${warm[*]}"
echo "  last report: $(jq -c '[.checks[] | {(.check): .status}] | add' "$OUT/sentinel-pass-last.json")"
jq -r '.checks[] | "    \(.check): \(.summary)"' "$OUT/sentinel-pass-last.json"

# The same pass in a long-lived process (`sentinel --loop`, as the daemon or a reused Lambda
# container runs it): its first pass pays the JVM's class loading and the pool's connections,
# the others show what a pass costs once the process is warm.
if [ "$LOOP_PASSES" -gt 1 ]; then
  refresh_live
  (while sleep 5; do refresh_live; done) & refresher=$!
  # java itself in the background (not the shell function), so that $! is the process to stop
  DATABASE_URL=$BENCH_DB java -jar "$JAR" --loop --json --interval 5s --port 0 >"$OUT/loop.json" 2>"$OUT/loop.log" &
  looper=$!
  while [ "$(grep -c duration_ms "$OUT/loop.json" || true)" -lt "$LOOP_PASSES" ] && kill -0 "$looper" 2>/dev/null; do sleep 0.2; done
  kill -TERM "$looper"; wait "$looper" || true
  kill "$refresher"; wait "$refresher" 2>/dev/null || true
  jq -e --arg w "$([ "$SPIKE" = 1 ] && echo warning || echo ok)" -s 'all(.status == $w)' "$OUT/loop.json" >/dev/null \
    || { echo "a pass of the loop did not say ok:"; cat "$OUT/loop.json" "$OUT/loop.log"; exit 1; }
  mapfile -t loop < <(jq -r '.duration_ms' "$OUT/loop.json" | head -n "$LOOP_PASSES")
  echo "  loop: first pass ${loop[0]} ms (a new JVM); then median $(printf '%s\n' "${loop[@]:1}" | median) ms," \
    "p95 $(printf '%s\n' "${loop[@]:1}" | p95) ms over $((LOOP_PASSES - 1)) passes of one process ('sentinel --loop --interval 5s')"
  echo "  loop passes (ms): ${loop[*]}"
fi

# Each statement of one more pass as the server saw it (parse, bind and execute summed), so a
# check's own time can be read: only with the throwaway server, whose log this script reads.
if [ -n "${PGDIR:-}" ]; then
  psql_admin -c "ALTER DATABASE intake_bench SET log_min_duration_statement = 0"
  from=$(wc -l <"$PGDIR/log")
  traced=$(one_pass)
  psql_admin -c "ALTER DATABASE intake_bench RESET log_min_duration_statement"
  echo
  echo "one more pass, $traced ms, statement by statement (server time in ms: parse+bind+execute; first line of the SQL):"
  tail -n +"$((from + 1))" "$PGDIR/log" | awk '
    / duration: [0-9.]+ ms +((parse|bind|execute) [^:]*|statement): / {
      ms = $0; sub(/.* duration: /, "", ms); sub(/ ms.*/, "", ms)
      sql = $0; sub(/.* ms +((parse|bind|execute) [^:]*|statement): /, "", sql)
      if (sql ~ /^ *$/) { getline sql } # the statement starts on the next line
      gsub(/^ +| +$/, "", sql); sql = substr(sql, 1, 110)
      if (!(sql in t)) order[n++] = sql
      t[sql] += ms; c[sql]++ }
    END { for (i = 0; i < n; i++) printf "  %8.3f  %s\n", t[order[i]], order[i] }'
fi

# The plans, with the parameters a pass binds: now, now - INTAKE_STALE_AFTER (45 s), now - the
# error-spike window (1 h), the busiest (or spiking) source of the last hour, LIMIT 50 and top 5.
# The SQL is that of the check classes (sentinel/src/main/java/dev/dragonfly/sentinel/check/,
# heal/); keep the two in step when a check changes.
refresh_live
IFS='|' read -r NOW SOURCE <<<"$(psql_bench -tA -F '|' -c "SELECT now()::text, coalesce((SELECT source FROM intake.batches
    WHERE NOT dry_run AND status IN ('completed', 'failed', 'rolled_back') AND finished_at > now() - interval '1 hour'
    GROUP BY source ORDER BY $([ "$SPIKE" = 1 ] && echo "sum(rows_invalid)::numeric / sum(rows_total)" || echo "count(*)") DESC LIMIT 1), 'judgments')")"
NOW_SQL="'$NOW'::timestamptz"
HORIZON="($NOW_SQL - interval '45 seconds')"
SINCE="($NOW_SQL - interval '1 hour')"
COLUMNS="id, source, object_key, object_version, status, dry_run, attempt, heartbeat_at, content_sha256,
      bytes_read, error_threshold_percent, rows_total, rows_valid, rows_invalid, rows_inserted,
      rows_updated, rows_unchanged, rejection_reason, duplicate_of, last_error, rollback_reason,
      created_at, started_at, finished_at, rolled_back_at, results_written_at, event_published_at, released_at,
      redrives"
HEAL_ID=$(psql_bench -tA -c "SELECT id FROM intake.batches WHERE status = 'staging' LIMIT 1")
queries=(
"before the pass (Database.migrateIfBehind, not in duration_ms)|SELECT version FROM intake.flyway_schema_history WHERE success ORDER BY installed_rank DESC LIMIT 1"
"stuck_batches|SELECT $COLUMNS
 FROM intake.batches
WHERE status IN ('staging', 'validating', 'inserting') AND heartbeat_at < $HORIZON
UNION ALL
SELECT $COLUMNS
 FROM intake.batches
WHERE status = 'uploaded' AND released_at < $HORIZON
ORDER BY id
LIMIT 50"
"error_spike: sources over the window|SELECT source, count(*) AS batches, coalesce(sum(rows_total), 0) AS rows_total,
       coalesce(sum(rows_invalid), 0) AS rows_invalid
FROM intake.batches
WHERE NOT dry_run AND status IN ('completed', 'failed', 'rolled_back')
  AND finished_at > $SINCE AND finished_at <= $NOW_SQL
GROUP BY source ORDER BY source"
"error_spike: top codes of a spiking source (only when a source spikes; source $SOURCE)|SELECT e.code, count(*) AS errors, count(DISTINCT e.batch_id) AS batches, min(e.message) AS sample_message
FROM intake.batches b
JOIN intake.row_errors e ON e.batch_id = b.id AND e.attempt = b.attempt
WHERE NOT b.dry_run AND b.status IN ('completed', 'failed', 'rolled_back')
  AND b.finished_at > $SINCE AND b.finished_at <= $NOW_SQL AND b.source = '$SOURCE'
GROUP BY e.code ORDER BY errors DESC, e.code LIMIT 5"
"error_spike: most affected batches (only when a source spikes; source $SOURCE)|SELECT id, status, rows_total, rows_invalid
FROM intake.batches
WHERE NOT dry_run AND status IN ('completed', 'failed', 'rolled_back')
  AND finished_at > $SINCE AND finished_at <= $NOW_SQL AND source = '$SOURCE' AND rows_invalid > 0
ORDER BY rows_invalid DESC, id LIMIT 5"
"database: connections|SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS used,
       current_setting('max_connections')::int AS max"
"database: idle in transaction|SELECT pid, coalesce(nullif(application_name, ''), '(no application name)') AS application,
       usename, state_change
FROM pg_stat_activity
WHERE datname = current_database() AND state IN ('idle in transaction', 'idle in transaction (aborted)')
  AND state_change < ($NOW_SQL - interval '5 minutes')
ORDER BY state_change LIMIT 10"
"database: lock waits|SELECT w.pid, coalesce(nullif(w.application_name, ''), '(no application name)') AS application,
       l.waitstart, b.pid AS blocking_pid,
       coalesce(nullif(b.application_name, ''), '(no application name)') AS blocking_application,
       b.state AS blocking_state
FROM pg_locks l
JOIN pg_stat_activity w ON w.pid = l.pid
CROSS JOIN LATERAL unnest(pg_blocking_pids(l.pid)) AS blocker(pid)
JOIN pg_stat_activity b ON b.pid = blocker.pid
WHERE NOT l.granted AND w.datname = current_database() AND l.waitstart < ($NOW_SQL - interval '1 minute')
ORDER BY l.waitstart LIMIT 10"
"self: previous pass (first pass of a process; also 'streaks')|SELECT value::text FROM intake.sentinel_state WHERE name = 'pass'"
"self: record the pass (also 'streaks'; rolled back here)|INSERT INTO intake.sentinel_state (name, value, updated_at) VALUES ('pass', CAST('{\"at\": \"$NOW\", \"instance\": \"bench\"}' AS jsonb), $NOW_SQL)
ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at"
"stuck_batches heal path only: the re-drive (rolled back here; batch $HEAL_ID)|UPDATE intake.batches
SET status = 'uploaded', owner_token = NULL, released_at = $NOW_SQL, redrives = redrives + 1,
    last_error = 'bench'
WHERE id = $HEAL_ID AND status = 'staging' AND attempt = 1 AND redrives = 0
  AND ((status IN ('staging', 'validating', 'inserting') AND heartbeat_at < $HORIZON)
       OR (status = 'uploaded' AND released_at < $HORIZON))"
"stuck_batches heal path only: earlier re-drives before a force-fail|SELECT at FROM (SELECT at FROM intake.sentinel_audit
                WHERE check_name = 'stuck_batches' AND subject = 'batch $HEAL_ID' AND action = 'redrive'
                ORDER BY at DESC LIMIT 3) latest
ORDER BY at"
)
echo
echo "plans: EXPLAIN (ANALYZE, BUFFERS) at now = $NOW (the last pass's data, warm cache)"
summary=()
for q in "${queries[@]}"; do
  name=${q%%|*}; sql=${q#*|}
  plan=$(psql_bench -c "BEGIN" -c "EXPLAIN (ANALYZE, BUFFERS) $sql" -c "ROLLBACK")
  echo
  echo "-- $name"
  echo "$sql;"
  echo "$plan"
  nodes=$(echo "$plan" | grep -oE '(Parallel )?(Index Only Scan|Index Scan|Bitmap Index Scan|Bitmap Heap Scan|Seq Scan|Function Scan|Subquery Scan)( Backward)?( using [a-z0-9_]+)?( on [a-z0-9_.]+)?' \
    | sed -E 's/ on [a-z0-9_.]+$//; s/ using / /' | awk '!seen[$0]++' | paste -sd, - | sed 's/,/, /g' || true)
  exec_ms=$(echo "$plan" | awk '/Execution Time/ {print $3}')
  plan_ms=$(echo "$plan" | awk '/Planning Time/ {print $3}')
  seq=$(echo "$plan" | grep -oE 'Seq Scan on [a-z_]+' | grep -E 'batches|row_errors' || true)
  summary+=("$(printf '%-95s plan %6s ms  exec %8s ms  %s%s' "$name" "$plan_ms" "$exec_ms" "$nodes" "${seq:+  <-- $seq}")")
done
echo
echo "plans in short (planning and execution time of EXPLAIN ANALYZE; scan nodes and their indexes):"
printf '  %s\n' "${summary[@]}"
