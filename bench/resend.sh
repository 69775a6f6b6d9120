#!/usr/bin/env bash
# Re-send benchmark (README "Benchmark: re-sent files"): the merge path, where a file's keys
# already exist. Into a database holding the 1M-row clean file it times `sentinel ingest` of
#   (u) the same 1M case numbers with every value changed (1M updates, each with history), and
#   (s) the clean file with one row changed (999,999 rows delivered unchanged, 1 update),
# each the median of RUNS runs, each into a freshly loaded database. With BASELINE_JAR set,
# the same runs are made with that jar too, interleaved, and the ratios printed.
#
# Needs what bench/run.sh needs (a JDK, Maven, psql, and BENCH_DATABASE_URL or initdb/pg_ctl).
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
RUNS=${RUNS:-3}
OUT=bench/out
JAR=${JAR:-sentinel/target/sentinel.jar}
mkdir -p "$OUT"
[ -f "$JAR" ] || mvn -B -q package -DskipTests
[ -f "$OUT/judgments-1m-clean.csv" ] || java bench/GenerateJudgments.java "$OUT/judgments-1m-clean.csv" "$ROWS" 0
[ -f "$OUT/judgments-1m-updated.csv" ] || java bench/GenerateJudgments.java "$OUT/judgments-1m-updated.csv" "$ROWS" 0 7
# one changed amount in the first data row: new content, all other rows as they were
awk -F, 'NR == 2 { sub(/,[0-9]+\.[0-9][0-9],/, ",1.23,") } { print }' "$OUT/judgments-1m-clean.csv" >"$OUT/judgments-1m-same.csv"

source bench/server.sh

timed_resend() { # jar file -> seconds of the re-send (the first load is not timed)
  psql_admin -c "DROP DATABASE IF EXISTS intake_bench" -c "CREATE DATABASE intake_bench"
  DATABASE_URL=$BENCH_DB java -jar "$1" migrate >/dev/null
  DATABASE_URL=$BENCH_DB java -jar "$1" ingest "$OUT/judgments-1m-clean.csv" --source judgments >/dev/null 2>&1
  psql_admin -c "CHECKPOINT"
  local t0; t0=$(now)
  DATABASE_URL=$BENCH_DB java -Xmx256m -jar "$1" ingest "$2" --source judgments --json >"$OUT/resend.json" 2>"$OUT/resend.log"
  local t1; t1=$(now)
  grep -q '"status":"completed"' "$OUT/resend.json" || { cat "$OUT/resend.json" "$OUT/resend.log"; exit 1; }
  calc "$t1 - $t0"
}

jars=("$JAR"); [ -n "${BASELINE_JAR:-}" ] && jars=("$BASELINE_JAR" "$JAR")
declare -A times
for i in $(seq "$RUNS"); do
  for j in "${jars[@]}"; do
    for f in updated same; do times["$j $f"]+="$(timed_resend "$j" "$OUT/judgments-1m-$f.csv") "; done
  done
done
echo
echo "PostgreSQL $(psql_admin -tA -c 'SHOW server_version') on loopback, $(nproc) cores; re-send into $ROWS loaded rows, median of $RUNS"
for j in "${jars[@]}"; do
  for f in updated same; do
    m=$(printf '%s\n' ${times["$j $f"]} | median)
    printf '%-40s %-8s %8.2f s   runs: %s\n' "$j" "$f" "$m" "${times["$j $f"]}"
    eval "med_${f}_$(echo "$j" | md5sum | cut -c1-8)=$m"
  done
done
if [ -n "${BASELINE_JAR:-}" ]; then
  for f in updated same; do
    b=$(printf '%s\n' ${times["$BASELINE_JAR $f"]} | median); n=$(printf '%s\n' ${times["$JAR $f"]} | median)
    printf 'ratio %-8s this jar / baseline: %.2f\n' "$f" "$(calc "$n / $b")"
  done
fi
