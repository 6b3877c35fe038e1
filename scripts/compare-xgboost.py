#!/usr/bin/env python3
"""Side by side on a zoo: our GBDT (`dpa train`) against XGBoost `hist` with the same number of
trees, depth, learning rate and 2 threads, on the same run-level split (half the runs train, the
other half test), for
  (a) final checkpoints -> their test accuracy,
  (b) all checkpoints -> their test accuracy,
  (c) checkpoints at steps 1-3 -> the run's final test accuracy,
each on the paper's 56 statistics and on the extended set.

Usage: scripts/compare-xgboost.py [ZOO_DIR] [--trees N] [--json]
Needs Debian python3-xgboost and python3-numpy; without them it says so and exits 0."""
import argparse
import csv
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

try:
    import numpy as np
    import xgboost as xgb
except ImportError as e:  # a clear skip, not a failure
    print("compare-xgboost: skipped: %s (install python3-xgboost python3-numpy)" % e)
    sys.exit(0)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
DPA = os.path.join(ROOT, "build", "dpa")
M = (1 << 64) - 1


def mix(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M
    return x ^ (x >> 31)


def run_position(modeldir, seed):
    """The same split hash as tools/zoo/row_selection.cpp."""
    h = 1469598103934665603
    for c in modeldir.encode():
        h = ((h ^ c) * 1099511628211) & M
    return (mix(h ^ mix(seed)) >> 11) * 2.0 ** -53


def kendall_tau_b(a, b):
    from scipy.stats import kendalltau
    return float(kendalltau(a, b).statistic if hasattr(kendalltau(a, b), "statistic") else kendalltau(a, b)[0])


def r2(y, p):
    return float(1 - np.mean((y - p) ** 2) / np.var(y))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("zoo", nargs="?", default=os.path.join(ROOT, "..", "shared", "zoo", "fmnist-ref"))
    ap.add_argument("--trees", type=int, default=500)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--learning-rate", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    with gzip.open(os.path.join(a.zoo, "metrics.csv.gz"), "rt") as f:
        rows = list(csv.DictReader(f))
    modeldir = [r["modeldir"] for r in rows]
    step = np.array([int(r["step"]) for r in rows])
    epochs = np.array([int(r["config.epochs"]) for r in rows])
    acc = np.array([float(r["test_accuracy"]) for r in rows], dtype=np.float32)
    final_acc = {}
    for i, d in enumerate(modeldir):
        if step[i] == epochs[i]:
            final_acc[d] = acc[i]
    is_test = np.array([run_position(d, a.seed) < 0.5 for d in modeldir])

    tmp = tempfile.mkdtemp()
    results = []
    for stats in ("paper", "extended"):
        fpath = os.path.join(tmp, stats + ".npy")
        subprocess.run([DPA, "features", a.zoo, "-o", fpath, "--stats", stats, "--threads", "2"],
                       check=True, stderr=subprocess.DEVNULL)
        features = np.load(fpath)
        for case, checkpoints, target in (("a", "final", "test_accuracy"), ("b", "all", "test_accuracy"),
                                          ("c", "1,2,3", "final_test_accuracy")):
            if checkpoints == "final":
                sel = step == epochs
            elif checkpoints == "all":
                sel = np.ones(len(rows), bool)
            else:
                sel = np.isin(step, [int(s) for s in checkpoints.split(",")])
            if target == "final_test_accuracy":
                sel &= np.array([d in final_acc for d in modeldir])
                y = np.array([final_acc.get(d, 0.0) for d in modeldir], dtype=np.float32)
            else:
                y = acc
            sel &= np.all(np.isfinite(features), axis=1)
            train, test = sel & ~is_test, sel & is_test
            model = os.path.join(tmp, "m.dpa")
            ours = json.loads(subprocess.run(
                [DPA, "train", a.zoo, "-o", model, "--stats", stats, "--checkpoints", checkpoints,
                 "--target", target, "--test-fraction", "0.5", "--validation-fraction", "0",
                 "--trees", str(a.trees), "--depth", str(a.depth), "--learning-rate", str(a.learning_rate),
                 "--seed", str(a.seed), "--threads", "2", "--json"],
                check=True, capture_output=True, text=True).stdout)
            assert ours["test_rows"] == int(test.sum()), "split mismatch: %d vs %d" % (ours["test_rows"], test.sum())
            dtrain = xgb.DMatrix(features[train], label=y[train], nthread=2)
            params = {"tree_method": "hist", "max_depth": a.depth, "eta": a.learning_rate, "nthread": 2,
                      "objective": "reg:squarederror", "seed": a.seed}
            start = time.perf_counter()
            booster = xgb.train(params, dtrain, num_boost_round=a.trees)
            xgb_seconds = time.perf_counter() - start
            pred = np.clip(booster.predict(xgb.DMatrix(features[test], nthread=2)), 0, 1)
            results.append({
                "case": case, "checkpoints": checkpoints, "target": target, "stats": stats,
                "train_rows": int(train.sum()), "test_rows": int(test.sum()),
                "dpa_r2": ours["test"]["r2"], "dpa_tau": ours["test"]["kendall_tau"],
                "dpa_train_seconds": ours["train_seconds"],
                "xgboost_r2": r2(y[test], pred), "xgboost_tau": kendall_tau_b(y[test], pred),
                "xgboost_train_seconds": xgb_seconds})
    if a.json:
        print(json.dumps({"zoo": a.zoo, "trees": a.trees, "depth": a.depth,
                          "learning_rate": a.learning_rate, "results": results}, indent=1))
        return
    print("| case | stats | train / test rows | dpa R2 | XGBoost R2 | dpa tau | XGBoost tau | dpa train s | XGBoost train s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print("| (%s) %s -> %s | %s | %d / %d | %.4f | %.4f | %.4f | %.4f | %.2f | %.2f |" % (
            r["case"], r["checkpoints"], r["target"], r["stats"], r["train_rows"], r["test_rows"],
            r["dpa_r2"], r["xgboost_r2"], r["dpa_tau"], r["xgboost_tau"], r["dpa_train_seconds"],
            r["xgboost_train_seconds"]))


if __name__ == "__main__":
    main()
