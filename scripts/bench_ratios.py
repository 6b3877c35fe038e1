#!/usr/bin/env python3
"""Medians from a Google Benchmark JSON file (run with repetitions), as ratios to a baseline.
Usage: bench_ratios.py RESULT.json BASELINE_NAME[,BASELINE_NAME...] [--json]
With several baselines, each benchmark is compared with the one whose name shares the longest
prefix with its own (BM_Context_* with BM_Context_WeightsOnly, ...)."""
import json
import sys

data = json.load(open(sys.argv[1]))
baselines = sys.argv[2].split(",")
as_json = len(sys.argv) > 3 and sys.argv[3] == "--json"
to_ns = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
med = {b["run_name"]: b["real_time"] * to_ns[b.get("time_unit", "ns")] for b in data["benchmarks"]
       if b.get("aggregate_name") == "median" and not b.get("error_occurred")}


def shared_prefix(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def baseline_of(name):
    return max(baselines, key=lambda b: shared_prefix(b, name))


rows = [{"benchmark": k, "median_ns": round(v, 1), "baseline": baseline_of(k),
         "speedup_vs_baseline": round(med[baseline_of(k)] / v, 3)} for k, v in med.items()]
if as_json:
    print(json.dumps({"baseline": baselines[0] if len(baselines) == 1 else baselines,
                      "mhz_per_cpu": data["context"].get("mhz_per_cpu"), "results": rows}, indent=1))
else:
    print("baseline%s: %s" % ("s" if len(baselines) > 1 else "", ", ".join(baselines)))
    print("%-40s %12s %10s" % ("benchmark", "median", "speedup"))
    for r in rows:
        print("%-40s %9.2f us %9.3fx" % (r["benchmark"], r["median_ns"] / 1000, r["speedup_vs_baseline"]))
