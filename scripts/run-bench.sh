#!/usr/bin/env bash
# Runs one Google Benchmark binary of build/bench with repetitions and prints the medians as
# ratios against a baseline measured in the same run; repetitions of the benchmarks interleave in
# random order, so a slow spell of the machine does not land on one of them.
# Usage: scripts/run-bench.sh BINARY BASELINE_BENCHMARK [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh > /dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"build/bench/$1" --benchmark_repetitions=15 --benchmark_report_aggregates_only=true \
  --benchmark_enable_random_interleaving=true \
  --benchmark_format=json > "$out" 2>/dev/null
python3 scripts/bench_ratios.py "$out" "$2" "${3:-}"
