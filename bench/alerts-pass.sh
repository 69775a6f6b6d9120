#!/usr/bin/env bash
# Alerts benchmark (README "Benchmark: alerts"): the time the alerts step adds to a sentinel pass
# with no incidents and with 100 open incidents, against a whole pass of every check, on embedded
# PostgreSQL with Slack and SNS on local stand-ins. PASSES (default 200) timed passes per case.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
mvn -B -q install -DskipTests
mvn -B -q -pl sentinel dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$(pwd)/bench/out/alerts.classpath"
java -cp "sentinel/target/test-classes:sentinel/target/classes:$(cat bench/out/alerts.classpath)" \
  dev.dragonfly.sentinel.AlertsBenchmark "${PASSES:-200}" 2>/dev/null
