#!/usr/bin/env bash
# Profiles one `sentinel ingest` of the 1M-row benchmark file (README "Benchmark: ingest") with
# JDK Flight Recorder and prints where the reader thread's CPU goes (bench/JfrSummary.java).
# JAR=<path> profiles another build, for instance bench/out/baseline/sentinel/target/sentinel.jar
# left by `BASELINE_REF=<ref> bench/run.sh`. Needs what bench/run.sh needs.
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-1000000}
OUT=bench/out
JAR=${JAR:-sentinel/target/sentinel.jar}
mkdir -p "$OUT"
[ -f "$JAR" ] || mvn -B -q package -DskipTests
[ -f "$OUT/judgments-1m.csv" ] || java bench/GenerateJudgments.java "$OUT/judgments-1m.csv" "$ROWS" 15

source bench/server.sh

psql_admin -c "DROP DATABASE IF EXISTS intake_bench" -c "CREATE DATABASE intake_bench"
DATABASE_URL=$BENCH_DB java -jar "$JAR" migrate >/dev/null
rm -f "$OUT/ingest.jfr"
DATABASE_URL=$BENCH_DB java -Xmx256m -XX:StartFlightRecording=filename="$OUT/ingest.jfr",settings=profile \
  -jar "$JAR" ingest "$OUT/judgments-1m.csv" --source judgments --json >"$OUT/ingest.json" 2>"$OUT/ingest.log"
grep -q '"status":"completed"' "$OUT/ingest.json" || { cat "$OUT/ingest.json" "$OUT/ingest.log"; exit 1; }
echo "profile of $JAR ($OUT/ingest.jfr):"
java bench/JfrSummary.java "$OUT/ingest.jfr"
