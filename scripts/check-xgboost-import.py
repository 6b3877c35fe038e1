#!/usr/bin/env python3
"""Trains XGBoost models (Debian python3-xgboost) on the runtime's statistics of a zoo, imports
them with `dpa import xgboost`, predicts every row from the raw weights with `dpa predict`, and
checks, on every row:
  - bit-exactness against the format's definition applied to the leaves XGBoost itself chose
    (pred_leaf): base + sum of those leaves in double, rounded to float once (then the sigmoid
    for logistic models, within 2 float ulps: expf differs between libms);
  - XGBoost's own predictions, within float32 rounding: XGBoost sums the trees in float32, so
    the bound is trees x 2^-24 x (|base| + sum of |leaves|) for each row.
Exits 77 (a skip, reported by ctest) with a clear message where xgboost or numpy is missing.
Usage: check-xgboost-import.py DPA_BINARY [ZOO_DIR]"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import xgboost as xgb
except ImportError as e:
    print("SKIPPED: %s; install python3-xgboost and python3-numpy to run this check" % e)
    sys.exit(77)

dpa = sys.argv[1]
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
zoo = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "tools", "data", "mini-zoo")
tmp = tempfile.mkdtemp()
import gzip, csv
with gzip.open(os.path.join(zoo, "metrics.csv.gz"), "rt") as f:
    y = np.array([float(r["test_accuracy"]) for r in csv.DictReader(f)], dtype=np.float32)
failures = 0
for stats, objective, depth, trees in (("paper", "reg:squarederror", 6, 200),
                                       ("paper", "reg:logistic", 8, 100),
                                       ("extended", "reg:squarederror", 4, 150)):
    fpath = os.path.join(tmp, stats + ".npy")
    subprocess.run([dpa, "features", zoo, "-o", fpath, "--stats", stats], check=True, stderr=subprocess.DEVNULL)
    x = np.load(fpath)
    booster = xgb.train({"tree_method": "hist", "max_depth": depth, "eta": 0.1, "objective": objective,
                         "nthread": 2, "seed": 1}, xgb.DMatrix(x, label=y), num_boost_round=trees)
    model_json = os.path.join(tmp, "m.json")
    booster.save_model(model_json)
    ours = os.path.join(tmp, "m.dpa")
    subprocess.run([dpa, "import", "xgboost", model_json, "-o", ours, "--stats", stats], check=True,
                   stdout=subprocess.DEVNULL)
    pred_path = os.path.join(tmp, "p.npy")
    subprocess.run([dpa, "predict", ours, os.path.join(zoo, "weights.npy"), "-o", pred_path], check=True)
    got = np.load(pred_path)[:, 0]
    dm = xgb.DMatrix(x)
    want = booster.predict(dm).astype(np.float32)
    # The leaves XGBoost chose, summed as the format defines.
    model = json.load(open(model_json))["learner"]
    leaf_values = [t["split_conditions"] for t in model["gradient_booster"]["model"]["trees"]]
    base = float(model["learner_model_param"]["base_score"])
    margin0 = np.log(base / (1 - base)) if objective == "reg:logistic" else base
    margin0 = float(np.float32(margin0))
    leaves = booster.predict(dm, pred_leaf=True).astype(int)
    chosen = np.array([[leaf_values[t][leaves[r, t]] for t in range(leaves.shape[1])] for r in range(len(x))],
                      dtype=np.float32).astype(np.float64)
    score = (margin0 + chosen.sum(axis=1)).astype(np.float32)
    if objective == "reg:logistic":
        exact = (np.float32(1) / (np.float32(1) + np.exp(-score))).astype(np.float32)
        exact_ok = bool(np.all(np.abs(got - exact) <= 2 * np.spacing(exact)))
    else:
        exact = score
        exact_ok = bool(np.array_equal(got.view(np.uint32), exact.view(np.uint32)))
    bound = trees * 2.0 ** -24 * (abs(margin0) + np.abs(chosen).sum(axis=1))
    if objective == "reg:logistic":
        bound = bound / 4 + 2 * np.spacing(want)  # the sigmoid's slope is at most 1/4
    diff = np.abs(got.astype(np.float64) - want)
    xgb_ok = bool(np.all(diff <= bound))
    ok = exact_ok and xgb_ok
    failures += not ok
    print(json.dumps({"stats": stats, "objective": objective, "depth": depth, "trees": trees,
                      "rows": int(len(got)), "bit_exact_to_chosen_leaves": exact_ok,
                      "max_abs_diff_to_xgboost": float(diff.max()),
                      "within_float32_accumulation_bound": xgb_ok, "ok": ok}))
print("%d passed, %d failed" % (3 - failures, failures))
sys.exit(1 if failures else 0)
