#!/usr/bin/env bash
# DL4J as first shipped (plain linux-x86_64 nd4j-native, oneDNN helpers unable to start) against this
# project's default (onednn-avx2 build, helpers on), side by side: `qat bench` on each, alternating,
# ROUNDS times, so that the guest's drift hits both alike. Usage: examples/scripts/compare-builds.sh [ROUNDS] [SECONDS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-2}"
seconds="${2:-2}"
version=1.0.0-M2.1
"$root/qat" --version >/dev/null  # builds what is missing
mvn -B -q dependency:get -Dartifact="org.nd4j:nd4j-native:$version:jar:linux-x86_64" -Dtransitive=false >&2
repo="${M2_REPO:-$HOME/.m2/repository}"
plain="$repo/org/nd4j/nd4j-native/$version/nd4j-native-$version-linux-x86_64.jar"
jar="$root/examples/target/examples-0.1.0-SNAPSHOT.jar"
fast_cp="$jar:$(cat "$root/examples/target/classpath.txt")"
plain_cp="$(echo "$fast_cp" | sed "s#[^:]*nd4j-native-$version-linux-x86_64-onednn[^:]*\.jar#$plain#")"
out="$(mktemp -d)"
for round in $(seq 1 "$rounds"); do
  for build in shipped onednn; do
    if [ "$build" = shipped ]; then cp="$plain_cp"; helpers=false; else cp="$fast_cp"; helpers=true; fi
    echo "== round $round: $build" >&2
    OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" QAT4J_ONEDNN_HELPERS="$helpers" \
      java --add-modules jdk.incubator.vector -Xmx8g -cp "$cp" io.github.qat4j.examples.QatCli \
      bench -b 64 --seconds "$seconds" -o "$out/$build-$round" | grep -E "ND4J native build|^(lenet5|resnet8) "
  done
done
echo "bench.json files: $out" >&2
