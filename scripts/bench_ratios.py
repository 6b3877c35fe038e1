#!/usr/bin/env python3
"""Medians from a Google Benchmark JSON file (run with repetitions), as ratios to a baseline.
Usage: bench_ratios.py RESULT.json BASELINE_NAME [--json]"""
import json
import sys

data = json.load(open(sys.argv[1]))
baseline = sys.argv[2]
as_json = len(sys.argv) > 3 and sys.argv[3] == "--json"
to_ns = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
med = {b["run_name"]: b["real_time"] * to_ns[b.get("time_unit", "ns")] for b in data["benchmarks"]
       if b.get("aggregate_name") == "median" and not b.get("error_occurred")}
base = med[baseline]
rows = [{"benchmark": k, "median_ns": round(v, 1), "speedup_vs_baseline": round(base / v, 2)}
        for k, v in med.items()]
if as_json:
    print(json.dumps({"baseline": baseline, "mhz_per_cpu": data["context"].get("mhz_per_cpu"),
                      "results": rows}, indent=1))
else:
    print("baseline: %s" % baseline)
    print("%-34s %12s %10s" % ("benchmark", "median", "speedup"))
    for r in rows:
        print("%-34s %9.2f us %9.1fx" % (r["benchmark"], r["median_ns"] / 1000, r["speedup_vs_baseline"]))
