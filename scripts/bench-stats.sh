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
python3 - "$out" "${1:-}" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
med = {b["run_name"]: b["real_time"] for b in data["benchmarks"]
       if b.get("aggregate_name") == "median" and not b.get("error_occurred")}
base = med["BM_StatsBaselineNthElement"]
rows = [{"benchmark": k, "median_ns": round(v, 1), "speedup_vs_nth_element": round(base / v, 2)}
        for k, v in med.items()]
if sys.argv[2] == "--json":
    print(json.dumps({"cpu": data["context"].get("mhz_per_cpu"), "results": rows}, indent=1))
else:
    print("%-28s %12s %10s" % ("benchmark", "median", "speedup"))
    for r in rows:
        print("%-28s %9.2f us %9.1fx" % (r["benchmark"], r["median_ns"] / 1000, r["speedup_vs_nth_element"]))
PY
