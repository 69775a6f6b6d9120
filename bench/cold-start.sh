#!/usr/bin/env bash
# Cold-start benchmark (README "Benchmark: cold start"): five fresh JVMs each run the packaged
# ingest function (functions/target/intake-function.jar, JVM options as template.yaml sets them)
# on a 1,000-row file against an in-process S3 server, an SNS stand-in and embedded PostgreSQL,
# and the median wall time from process start to the handled event is reported.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
mvn -B -q install -DskipTests
mvn -B -q -pl functions dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$(pwd)/bench/out/cold-start.classpath"
java -cp "functions/target/test-classes:functions/target/classes:$(cat bench/out/cold-start.classpath)" \
  dev.dragonfly.functions.ColdStartBenchmark functions/target/intake-function.jar "${RUNS:-5}" 2>&1 | grep -Ev '^\[|^Picked up'
