#!/usr/bin/python3
"""What context values add to weight statistics, on held-out runs: dpa train predicts each run's
final test accuracy from its checkpoint at epoch E with the statistics alone and with each
--context preset, over several run-level splits (seeds); prints mean and spread of the held-out
Kendall tau and R2. Uses only the dpa binary.

Usage: scripts/context-gain.py ZOO_DIR [--epochs 1,2,3] [--contexts none,train,hyper,all]
                               [--seeds 1,2,3,4,5] [--test-fraction 0.5] [--dpa build/dpa] [--json]
                               [-- EXTRA dpa train OPTIONS]"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main():
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[:argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zoo")
    ap.add_argument("--epochs", default="1,2,3")
    ap.add_argument("--contexts", default="none,train,hyper,all")
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--test-fraction", default="0.5")
    ap.add_argument("--dpa", default=os.path.join(ROOT, "build", "dpa"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for epoch in a.epochs.split(","):
            for context in a.contexts.split(","):
                taus, r2s = [], []
                for seed in a.seeds.split(","):
                    out = subprocess.run(
                        [a.dpa, "train", a.zoo, "-o", os.path.join(tmp, "m.dpa"), "--checkpoints", epoch,
                         "--target", "final_test_accuracy", "--context", context, "--seed", seed,
                         "--test-fraction", a.test_fraction, "--json"] + extra,
                        check=True, capture_output=True, text=True).stdout
                    test = json.loads(out)["test"]
                    taus.append(test["kendall_tau"])
                    r2s.append(test["r2"])
                row = {"epoch": int(epoch), "context": context, "splits": len(taus), "test_runs": test["n"],
                       "kendall_tau_mean": statistics.mean(taus), "kendall_tau_sd": statistics.pstdev(taus),
                       "r2_mean": statistics.mean(r2s), "r2_sd": statistics.pstdev(r2s)}
                rows.append(row)
                print("epoch %s, context %-6s: tau %.3f ± %.3f, R2 %.3f ± %.3f" % (
                    epoch, context, row["kendall_tau_mean"], row["kendall_tau_sd"], row["r2_mean"], row["r2_sd"]),
                    file=sys.stderr)
    if a.json:
        print(json.dumps({"zoo": a.zoo, "extra_options": extra, "rows": rows}, indent=1))
        return
    print("| epoch | " + " | ".join("%s: τ / R²" % c for c in a.contexts.split(",")) + " |")
    print("|---|" + "---|" * len(a.contexts.split(",")))
    for epoch in a.epochs.split(","):
        cells = ["%.3f ± %.3f / %.3f ± %.3f" % (r["kendall_tau_mean"], r["kendall_tau_sd"], r["r2_mean"], r["r2_sd"])
                 for r in rows if r["epoch"] == int(epoch)]
        print("| %s | %s |" % (epoch, " | ".join(cells)))


if __name__ == "__main__":
    main()
