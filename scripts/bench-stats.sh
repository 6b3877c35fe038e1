#!/usr/bin/env bash
# Statistics benchmark: medians of repeated runs, as ratios against the nth_element baseline
# measured in the same run. Usage: scripts/bench-stats.sh [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh > /dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
build/bench/bench_stats --benchmark_repetitions=15 --benchmark_report_aggregates_only=true \
  --benchmark_format=json > "$out" 2>/dev/null
python3 scripts/bench_ratios.py "$out" BM_StatsBaselineNthElement "${1:-}"
