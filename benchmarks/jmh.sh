#!/usr/bin/env bash
# JMH micro-benchmarks of the control codec and rewriters: ns/op and bytes allocated per op.
# Usage: bash benchmarks/jmh.sh [JMH options, e.g. -f 1 -wi 2 -i 3]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B test-compile
CP="target/test-classes:target/classes:$(mvn -q -B dependency:build-classpath -Dmdep.outputFile=/dev/stdout -Dmdep.includeScope=test)"
java -cp "$CP" org.openjdk.jmh.Main dev.portcullis.bench -prof gc "$@"
