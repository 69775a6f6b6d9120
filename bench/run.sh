#!/usr/bin/env bash
# Ingest benchmark (README "Benchmark"). In one run against one PostgreSQL server it measures:
#   (a) psql \copy of the 1M-row file into an unlogged all-text table,
#   (t) psql \copy of the same rows, all valid, into a typed table keyed like the target,
#   (b) `sentinel ingest` of the 1M-row file end to end (JVM start included, -Xmx256m),
# and the peak RSS of (b) for 1M and 10M rows. Each 1M figure is the median of RUNS runs.
#
# Needs: a JDK 17+, Maven, psql, /usr/bin/time, and either BENCH_DATABASE_URL (a superuser
# postgresql:// URL of a server on loopback) or the PostgreSQL server binaries (initdb, pg_ctl)
# on PATH, from which a throwaway server is started in bench/out/pg.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
BIG_ROWS=${BIG_ROWS:-10000000}
RUNS=${RUNS:-3}
OUT=bench/out
JAR=sentinel/target/sentinel.jar
mkdir -p "$OUT"

[ -f "$JAR" ] || mvn -B -q package -DskipTests
for spec in "judgments-1m.csv $ROWS 15" "judgments-1m-clean.csv $ROWS 0" "judgments-10m.csv $BIG_ROWS 15"; do
  set -- $spec
  [ -f "$OUT/$1" ] || java bench/GenerateJudgments.java "$OUT/$1" "$2" "$3"
done

source bench/server.sh

psql_admin -c "DROP TABLE IF EXISTS bench_raw, bench_typed" \
  -c "CREATE UNLOGGED TABLE bench_raw (case_number text, plaintiff_name text, defendant_name text,
        judgment_amount text, judgment_date text, court text, county text, defendant_address text,
        defendant_ssn_last4 text, defendant_email text)" \
  -c "CREATE TABLE bench_typed (case_number text PRIMARY KEY, plaintiff_name text NOT NULL,
        defendant_name text NOT NULL, judgment_amount numeric(12,2) NOT NULL, judgment_date date NOT NULL,
        court text, county text, defendant_address text, defendant_ssn_last4 text, defendant_email text)"

timed_copy() { # table file -> seconds
  psql_admin -c "TRUNCATE $1" -c "CHECKPOINT"
  local t0; t0=$(now)
  psql_admin -c "\\copy $1 FROM '$2' WITH (FORMAT csv, HEADER true)"
  calc "$(now) - $t0"
}

timed_ingest() { # file -> "seconds peak_rss_kb"
  psql_admin -c "DROP DATABASE IF EXISTS intake_bench" -c "CREATE DATABASE intake_bench"
  DATABASE_URL=$BENCH_DB java -jar "$JAR" migrate >/dev/null
  psql_admin -c "CHECKPOINT"
  local t0 t1; t0=$(now)
  DATABASE_URL=$BENCH_DB /usr/bin/time -f "%M" -o "$OUT/rss.txt" \
    java -Xmx256m -jar "$JAR" ingest "$1" --source judgments --json >"$OUT/ingest.json" 2>"$OUT/ingest.log"
  t1=$(now)
  grep -q '"status":"completed"' "$OUT/ingest.json" || { cat "$OUT/ingest.json" "$OUT/ingest.log"; exit 1; }
  echo "$(calc "$t1 - $t0") $(cat "$OUT/rss.txt")"
}

raw=(); typed=(); ingest=(); rss1=()
for i in $(seq "$RUNS"); do
  raw+=("$(timed_copy bench_raw "$OUT/judgments-1m.csv")")
  typed+=("$(timed_copy bench_typed "$OUT/judgments-1m-clean.csv")")
  read -r secs kb <<<"$(timed_ingest "$OUT/judgments-1m.csv")"
  ingest+=("$secs"); rss1+=("$kb")
done
read -r big_secs big_kb <<<"$(timed_ingest "$OUT/judgments-10m.csv")"

raw_s=$(printf '%s\n' "${raw[@]}" | median)
typed_s=$(printf '%s\n' "${typed[@]}" | median)
ingest_s=$(printf '%s\n' "${ingest[@]}" | median)
rss1_kb=$(printf '%s\n' "${rss1[@]}" | median)
server=$(psql_admin -tA -c "SHOW server_version")
echo
echo "PostgreSQL $server on loopback, $(nproc) cores; $ROWS rows ($(du -m "$OUT/judgments-1m.csv" | cut -f1) MB), median of $RUNS"
printf '%-44s %8.2f s %10.0f rows/s   runs: %s\n' "(a) \\copy raw text, unlogged" "$raw_s" "$(calc "$ROWS / $raw_s")" "${raw[*]}"
printf '%-44s %8.2f s %10.0f rows/s   runs: %s\n' "(t) \\copy typed, keyed (clean file)" "$typed_s" "$(calc "$ROWS / $typed_s")" "${typed[*]}"
printf '%-44s %8.2f s %10.0f rows/s   runs: %s\n' "(b) sentinel ingest end to end, -Xmx256m" "$ingest_s" "$(calc "$ROWS / $ingest_s")" "${ingest[*]}"
printf 'ratio b/a (vs raw text copy):     %.2f\n' "$(calc "$raw_s / $ingest_s")"
printf 'ratio b/t (vs typed keyed copy):  %.2f\n' "$(calc "$typed_s / $ingest_s")"
printf 'peak RSS  1M rows: %d MB;  %d rows: %d MB in %.1f s (%.0f rows/s);  10M/1M = %.2f\n' \
  "$((rss1_kb / 1024))" "$BIG_ROWS" "$((big_kb / 1024))" "$big_secs" "$(calc "$BIG_ROWS / $big_secs")" \
  "$(calc "$big_kb / $rss1_kb")"
