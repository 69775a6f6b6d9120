#!/usr/bin/env bash
# Ingest benchmark (README "Benchmark"). In one run against one PostgreSQL server it measures:
#   (a) psql \copy of the 1M-row file into an unlogged all-text table,
#   (t) psql \copy of the same rows, all valid, into a typed table keyed like the target,
#   (b) `sentinel ingest` of the 1M-row file end to end (JVM start included, -Xmx256m),
# and the peak RSS of (b) for 1M and 10M rows. Each 1M figure is the median of RUNS runs.
#
# BASELINE_REF=<git ref> also builds that commit's jar (in bench/out/baseline) and times its (b)
# in the same runs, alternating with this tree's, to compare a change before and after on the
# same server in the same hour (BASELINE_JAR=<path> uses a jar already built).
# INGEST_JVM_OPTS adds JVM options to (b), for instance the function's from template.yaml;
# BIG_ROWS=0 skips the 10M-row run.
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
BASELINE_JAR=${BASELINE_JAR:-}
if [ -n "${BASELINE_REF:-}" ] && [ -z "$BASELINE_JAR" ]; then
  rm -rf "$OUT/baseline" && mkdir -p "$OUT/baseline"
  git archive "$BASELINE_REF" | tar -x -C "$OUT/baseline"
  (cd "$OUT/baseline" && mvn -B -q package -DskipTests)
  BASELINE_JAR=$OUT/baseline/$JAR
fi
for spec in "judgments-1m.csv $ROWS 15" "judgments-1m-clean.csv $ROWS 0" "judgments-10m.csv $BIG_ROWS 15"; do
  set -- $spec
  [ -f "$OUT/$1" ] || [ "$2" = 0 ] || java bench/GenerateJudgments.java "$OUT/$1" "$2" "$3"
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

timed_ingest() { # file [jar] -> "seconds peak_rss_kb cpu_seconds"
  local jar=${2:-$JAR}
  psql_admin -c "DROP DATABASE IF EXISTS intake_bench" -c "CREATE DATABASE intake_bench"
  DATABASE_URL=$BENCH_DB java -jar "$jar" migrate >/dev/null
  psql_admin -c "CHECKPOINT"
  local t0 t1; t0=$(now)
  DATABASE_URL=$BENCH_DB /usr/bin/time -f "%M %U %S" -o "$OUT/rss.txt" \
    java -Xmx256m ${INGEST_JVM_OPTS:-} -jar "$jar" ingest "$1" --source judgments --json >"$OUT/ingest.json" 2>"$OUT/ingest.log"
  t1=$(now)
  grep -q '"status":"completed"' "$OUT/ingest.json" || { cat "$OUT/ingest.json" "$OUT/ingest.log"; exit 1; }
  read -r kb user sys <"$OUT/rss.txt"
  echo "$(calc "$t1 - $t0") $kb $(calc "$user + $sys")"
}

raw=(); typed=(); ingest=(); rss1=(); cpu=(); base=(); base_rss=(); base_cpu=()
for i in $(seq "$RUNS"); do
  raw+=("$(timed_copy bench_raw "$OUT/judgments-1m.csv")")
  typed+=("$(timed_copy bench_typed "$OUT/judgments-1m-clean.csv")")
  if [ -n "$BASELINE_JAR" ] && [ $((i % 2)) = 1 ]; then # alternate which goes first
    read -r secs kb s <<<"$(timed_ingest "$OUT/judgments-1m.csv" "$BASELINE_JAR")"
    base+=("$secs"); base_rss+=("$kb"); base_cpu+=("$s")
  fi
  read -r secs kb s <<<"$(timed_ingest "$OUT/judgments-1m.csv")"
  ingest+=("$secs"); rss1+=("$kb"); cpu+=("$s")
  if [ -n "$BASELINE_JAR" ] && [ $((i % 2)) = 0 ]; then
    read -r secs kb s <<<"$(timed_ingest "$OUT/judgments-1m.csv" "$BASELINE_JAR")"
    base+=("$secs"); base_rss+=("$kb"); base_cpu+=("$s")
  fi
done
big_secs=0; big_kb=0
[ "$BIG_ROWS" = 0 ] || read -r big_secs big_kb _ <<<"$(timed_ingest "$OUT/judgments-10m.csv")"

raw_s=$(printf '%s\n' "${raw[@]}" | median)
typed_s=$(printf '%s\n' "${typed[@]}" | median)
ingest_s=$(printf '%s\n' "${ingest[@]}" | median)
rss1_kb=$(printf '%s\n' "${rss1[@]}" | median)
server=$(psql_admin -tA -c "SHOW server_version")
echo
echo "PostgreSQL $server on loopback, $(nproc) cores; $ROWS rows ($(du -m "$OUT/judgments-1m.csv" | cut -f1) MB), median of $RUNS"
printf '%-44s %8.2f s %10.0f rows/s   runs: %s\n' "(a) \\copy raw text, unlogged" "$raw_s" "$(calc "$ROWS / $raw_s")" "${raw[*]}"
printf '%-44s %8.2f s %10.0f rows/s   runs: %s\n' "(t) \\copy typed, keyed (clean file)" "$typed_s" "$(calc "$ROWS / $typed_s")" "${typed[*]}"
printf '%-44s %8.2f s %10.0f rows/s   runs: %s\n' "(b) sentinel ingest end to end, -Xmx256m ${INGEST_JVM_OPTS:-}" "$ingest_s" "$(calc "$ROWS / $ingest_s")" "${ingest[*]}"
printf '%-44s %8.2f s of CPU (user + system)  runs: %s\n' "(b) the ingest JVM's CPU" "$(printf '%s\n' "${cpu[@]}" | median)" "${cpu[*]}"
printf 'ratio b/a (vs raw text copy):     %.2f\n' "$(calc "$raw_s / $ingest_s")"
printf 'ratio b/t (vs typed keyed copy):  %.2f\n' "$(calc "$typed_s / $ingest_s")"
if [ -n "$BASELINE_JAR" ]; then
  base_s=$(printf '%s\n' "${base[@]}" | median)
  printf '%-44s %8.2f s %10.0f rows/s   runs: %s\n' "(b0) the same, baseline ${BASELINE_REF:-$BASELINE_JAR}" "$base_s" \
    "$(calc "$ROWS / $base_s")" "${base[*]}"
  printf '%-44s %8.2f s of CPU (user + system)  runs: %s\n' "(b0) the baseline JVM's CPU" \
    "$(printf '%s\n' "${base_cpu[@]}" | median)" "${base_cpu[*]}"
  printf 'ratio b/b0 (this tree vs baseline): %.3f (above 1 is slower); peak RSS %d vs %d MB\n' "$(calc "$ingest_s / $base_s")" \
    "$(($(printf '%s\n' "${rss1[@]}" | median) / 1024))" "$(($(printf '%s\n' "${base_rss[@]}" | median) / 1024))"
fi
if [ "$BIG_ROWS" = 0 ]; then
  printf 'peak RSS  1M rows: %d MB\n' "$((rss1_kb / 1024))"
else
  printf 'peak RSS  1M rows: %d MB;  %d rows: %d MB in %.1f s (%.0f rows/s);  10M/1M = %.2f\n' \
    "$((rss1_kb / 1024))" "$BIG_ROWS" "$((big_kb / 1024))" "$big_secs" "$(calc "$BIG_ROWS / $big_secs")" \
    "$(calc "$big_kb / $rss1_kb")"
fi
