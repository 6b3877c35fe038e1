#!/usr/bin/python3
"""Side by side on a zoo: our GBDT (`dpa train`) against XGBoost `hist` with the same number of
trees, depth, learning rate and 2 threads, on the same run-level split (half the runs train, the
other half test), for
  (a) final checkpoints -> their test accuracy,
  (b) all checkpoints -> their test accuracy,
  (c) checkpoints at steps 1-3 -> the run's final test accuracy,
each on the paper's 56 statistics and on the extended set.

With --cv K both are measured by K-fold cross-validation by run instead (the same folds), paper
statistics only; add --tune to tune both the same way: dpa train --tune, and XGBoost over the
same grid (depth 3/4/6, learning rate 0.03/0.1, min_child_weight 1/5), each point scored by the
same 3 inner folds by run with early stopping on each, and the final model trained for those
rounds scaled to the whole training side (untuned, both stop early on the same validation runs).

Usage: scripts/compare-xgboost.py [ZOO_DIR] [--trees N] [--cv K [--tune]] [--json]
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
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from markdown_table import print_table  # noqa: E402
from split_hash import run_in_fold, run_position  # noqa: E402


def inner_fold(run_id, folds, seed):
    """tools/train/gbdt_tuning.cpp fold_rows: the inner fold of a dense run id."""
    h = (((int(run_id) + 1) * 0x9E3779B97F4A7C15) & M) ^ seed
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & M
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & M
    return (h ^ (h >> 31)) % folds


GRID = [(d, lr, mcw) for d in (3, 4, 6) for lr in (0.03, 0.1) for mcw in (1.0, 5.0)]


def xgb_params(depth, rate, child, seed):
    return {"tree_method": "hist", "max_depth": depth, "eta": rate, "min_child_weight": child, "nthread": 2,
            "objective": "reg:squarederror", "seed": seed, "subsample": 0.8, "colsample_bytree": 0.8}


def xgb_tuned(x, y, runs, valid_x, valid_y, seed, tune):
    """XGBoost trained as `dpa train [--tune]` trains: (tuned) settings, early stopping on validation."""
    best = (6, 0.05, 1.0, 500)
    if tune:
        scores = []
        for depth, rate, child in GRID:
            rmse, rounds = 0.0, 0.0
            for fold in range(3):
                inner = np.array([inner_fold(r, 3, seed) == fold for r in runs])
                booster = xgb.train(xgb_params(depth, rate, child, seed), xgb.DMatrix(x[~inner], label=y[~inner]),
                                    num_boost_round=3000, evals=[(xgb.DMatrix(x[inner], label=y[inner]), "v")],
                                    early_stopping_rounds=50, verbose_eval=False)
                rmse += booster.best_score / 3
                rounds += (booster.best_iteration + 1) / 3
            scores.append((rmse, depth, rate, child, max(1, round(rounds * 3 / 2))))
        _, *best = min(scores, key=lambda t: t[0])
    depth, rate, child, rounds = best
    # Untuned: stopped early on the validation runs, as dpa train; tuned: the rounds chosen.
    evals = [(xgb.DMatrix(valid_x, label=valid_y), "v")] if len(valid_y) and not tune else []
    return xgb.train(xgb_params(depth, rate, child, seed), xgb.DMatrix(x, label=y), num_boost_round=int(rounds),
                     evals=evals, early_stopping_rounds=50 if evals else None, verbose_eval=False)


def cross_validated(a, rows, modeldir, step, epochs, acc, final_acc):
    """K-fold by run: dpa train --cv K [--tune] against XGBoost tuned the same way."""
    tmp = tempfile.mkdtemp()
    fpath = os.path.join(tmp, "paper.npy")
    subprocess.run([DPA, "features", a.zoo, "-o", fpath, "--threads", "2"], check=True, stderr=subprocess.DEVNULL)
    features = np.load(fpath)
    first_seen = {}
    run_id = np.array([first_seen.setdefault(d, len(first_seen)) for d in modeldir])
    results = []
    for case, checkpoints, target in (("a", "final", "test_accuracy"), ("b", "all", "test_accuracy"),
                                      ("c", "1,2,3", "final_test_accuracy")):
        sel = (step == epochs) if checkpoints == "final" else np.ones(len(rows), bool) if checkpoints == "all" \
            else np.isin(step, [int(s) for s in checkpoints.split(",")])
        if target == "final_test_accuracy":
            sel &= np.array([d in final_acc for d in modeldir])
            y = np.array([final_acc.get(d, 0.0) for d in modeldir], dtype=np.float32)
        else:
            y = acc
        start = time.perf_counter()
        ours = json.loads(subprocess.run(
            [DPA, "train", a.zoo, "-o", os.path.join(tmp, "m.dpa"), "--checkpoints", checkpoints, "--target", target,
             "--cv", str(a.cv), "--seed", str(a.seed), "--threads", "2", "--json"] + (["--tune"] if a.tune else []),
            check=True, capture_output=True, text=True).stdout)["cv"]
        dpa_seconds = time.perf_counter() - start
        r2s, taus = [], []
        start = time.perf_counter()
        valid_run = np.array([run_position(d, a.seed ^ 0x5BD1E995) < 0.1 for d in modeldir])
        for fold in range(a.cv):
            test = sel & np.array([run_in_fold(d, a.cv, fold, a.seed) for d in modeldir])
            valid = sel & ~test & valid_run
            train = sel & ~test & ~valid_run
            booster = xgb_tuned(features[train], y[train], run_id[train], features[valid], y[valid], a.seed, a.tune)
            pred = np.clip(booster.predict(xgb.DMatrix(features[test]), iteration_range=(0, booster.best_iteration + 1)
                                           if hasattr(booster, "best_iteration") else (0, 0)), 0, 1)
            r2s.append(r2(y[test], pred))
            taus.append(kendall_tau_b(y[test], pred))
        results.append({"case": case, "checkpoints": checkpoints, "target": target, "folds": a.cv, "tuned": a.tune,
                        "dpa_r2": ours["r2_mean"], "dpa_r2_sd": ours["r2_sd"], "dpa_tau": ours["kendall_tau_mean"],
                        "dpa_tau_sd": ours["kendall_tau_sd"], "dpa_seconds": dpa_seconds,
                        "xgboost_r2": float(np.mean(r2s)), "xgboost_r2_sd": float(np.std(r2s)),
                        "xgboost_tau": float(np.mean(taus)), "xgboost_tau_sd": float(np.std(taus)),
                        "xgboost_seconds": time.perf_counter() - start})
        r = results[-1]
        print("(%s) %s -> %s: dpa R2 %.4f tau %.4f | XGBoost R2 %.4f tau %.4f" % (
            case, checkpoints, target, r["dpa_r2"], r["dpa_tau"], r["xgboost_r2"], r["xgboost_tau"]), file=sys.stderr)
    return results


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
    ap.add_argument("--cv", type=int, default=0)
    ap.add_argument("--tune", action="store_true")
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
    if a.cv:
        results = cross_validated(a, rows, modeldir, step, epochs, acc, final_acc)
        if a.json:
            print(json.dumps({"zoo": a.zoo, "folds": a.cv, "tuned": a.tune, "results": results}, indent=1))
            return
        spread = "%.4f ± %.4f"
        print_table(["case", "dpa R2", "XGBoost R2", "dpa tau", "XGBoost tau", "dpa s", "XGBoost s"],
                    [["(%s) %s -> %s" % (r["case"], r["checkpoints"], r["target"]),
                      spread % (r["dpa_r2"], r["dpa_r2_sd"]), spread % (r["xgboost_r2"], r["xgboost_r2_sd"]),
                      spread % (r["dpa_tau"], r["dpa_tau_sd"]), spread % (r["xgboost_tau"], r["xgboost_tau_sd"]),
                      "%.0f" % r["dpa_seconds"], "%.0f" % r["xgboost_seconds"]] for r in results])
        return
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
    print_table(["case", "stats", "train / test rows", "dpa R2", "XGBoost R2", "dpa tau", "XGBoost tau",
                 "dpa train s", "XGBoost train s"],
                [["(%s) %s -> %s" % (r["case"], r["checkpoints"], r["target"]), r["stats"],
                  "%d / %d" % (r["train_rows"], r["test_rows"])] +
                 ["%.4f" % r[k] for k in ("dpa_r2", "xgboost_r2", "dpa_tau", "xgboost_tau")] +
                 ["%.2f" % r["dpa_train_seconds"], "%.2f" % r["xgboost_train_seconds"]] for r in results])


if __name__ == "__main__":
    main()
