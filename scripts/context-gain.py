#!/usr/bin/python3
"""What context values add to weight statistics, on held-out runs: dpa train predicts each run's
final test accuracy from its checkpoint at epoch E with the statistics alone and with each
--context preset, in K-fold cross-validation by run (dpa train --cv K); prints the mean and
standard deviation over the folds of the held-out Kendall tau and R2. Uses only the dpa binary.

Usage: scripts/context-gain.py ZOO_DIR [--epochs 1,2,3] [--contexts none,train,hyper,all]
                               [--cv 5] [--seed 0] [--dpa build/dpa] [--json]
                               [-- EXTRA dpa train OPTIONS]"""
import argparse
import json
import os
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
    ap.add_argument("--cv", default="5")
    ap.add_argument("--seed", default="0")
    ap.add_argument("--dpa", default=os.path.join(ROOT, "build", "dpa"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for epoch in a.epochs.split(","):
            for context in a.contexts.split(","):
                out = subprocess.run(
                    [a.dpa, "train", a.zoo, "-o", os.path.join(tmp, "m.dpa"), "--checkpoints", epoch,
                     "--target", "final_test_accuracy", "--context", context, "--seed", a.seed,
                     "--cv", a.cv, "--json"] + extra,
                    check=True, capture_output=True, text=True).stdout
                cv = json.loads(out)["cv"]
                row = {"epoch": int(epoch), "context": context, "folds": cv["folds"],
                       "kendall_tau_mean": cv["kendall_tau_mean"], "kendall_tau_sd": cv["kendall_tau_sd"],
                       "r2_mean": cv["r2_mean"], "r2_sd": cv["r2_sd"]}
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
