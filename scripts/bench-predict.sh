#!/usr/bin/env bash
# Prediction benchmark: 500 trees of depth 6 on the 56 paper statistics; medians of repeated
# runs, with the flat trees as a ratio against node-by-node traversal measured in the same run.
# Usage: scripts/bench-predict.sh [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh > /dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
build/bench/bench_predict --benchmark_repetitions=15 --benchmark_report_aggregates_only=true \
  --benchmark_format=json > "$out" 2>/dev/null
python3 scripts/bench_ratios.py "$out" BM_TreesPointerChasing_500Trees "${1:-}"
