#!/usr/bin/python3
"""dpa at the released zoo's size: 270,000 rows x 4970 float32 (5.4 GB), built by tiling
../shared/zoo/fmnist-ref (scripts/make-full-zoo.py; skipped with a message where the disk is
short). For each command: wall time, max RSS (per process, from wait4) and the longest silence on
stderr (progress must speak at least every 5 s). Then GBDT training on all checkpoints (216,000
training rows, 500 trees, depth 6, learning rate 0.05, 2 threads, no early stopping) against
XGBoost `hist` with the same rows, settings and threads (Debian python3-xgboost), and 24,000 rows
(final checkpoints) the same way, --repeat pairs each (median ratio). As root, also `dpa features` against a plain sequential read of
the weights, both from a cold page cache.

The tiled zoo holds near-copies of each run (copies differ by 0.1 % noise) on both sides of any
split, so its R2 figures are not quality figures: only compare dpa with XGBoost on it.

Usage: scripts/bench-full-zoo.py [--zoo DIR (default build/full-zoo)] [--repeat N] [--json]"""
import argparse
import gzip
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

from timed_run import run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DPA = os.path.join(ROOT, "build", "dpa")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zoo", default=os.path.join(ROOT, "build", "full-zoo"))
    ap.add_argument("--repeat", type=int, default=3, help="dpa/XGBoost training pairs per case (median ratio)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if not os.path.isdir(a.zoo):
        code = subprocess.call([sys.executable, os.path.join(ROOT, "scripts", "make-full-zoo.py"),
                                os.path.join(ROOT, "..", "shared", "zoo", "fmnist-ref"), a.zoo])
        if code == 3:
            print("skipped: not enough disk for the full-size zoo", file=sys.stderr)
            return
        if code != 0:
            sys.exit(code)
    with tempfile.TemporaryDirectory() as tmp:
        measure(a, lambda name: os.path.join(tmp, name))


def measure(a, m):
    """Every command on the zoo, outputs at m(name); prints the tables (or JSON)."""
    commands = [
        ("features", [DPA, "features", a.zoo, "-o", m("f.npy"), "--threads", "2"]),
        ("train --checkpoints final", [DPA, "train", a.zoo, "-o", m("final.dpa"), "--threads", "2", "--json"]),
        ("train --checkpoints all", [DPA, "train", a.zoo, "-o", m("all.dpa"), "--checkpoints", "all",
                                     "--validation-fraction", "0", "--patience", "0", "--threads", "2", "--json"]),
        ("eval (final)", [DPA, "eval", m("final.dpa"), a.zoo, "--json"]),
        ("eval --checkpoints all", [DPA, "eval", m("all.dpa"), a.zoo, "--json", "--all-runs"]),
        ("predict", [DPA, "predict", m("all.dpa"), os.path.join(a.zoo, "weights.npy"), "-o", m("p.npy"), "--threads", "2"]),
        ("early-stop --at 1 --folds 2", [DPA, "early-stop", a.zoo, "--at", "1", "--folds", "2", "--json", "--threads", "2"]),
    ]
    warm_page_cache(a.zoo)
    results = []
    for name, cmd in commands:
        seconds, rss, silence, out = run(cmd)
        r = {"command": name, "seconds": seconds, "max_rss_mb": rss, "longest_silence_s": silence}
        if cmd[1] == "train":
            j = json.loads(out)
            r.update(train_rows=j["train_rows"], train_seconds=j["train_seconds"], test_r2=j["test"]["r2"])
        results.append(r)
        print("%-30s %7.1f s  %7.0f MB  silent %4.1f s" % (name, seconds, rss, silence), file=sys.stderr)
    xgb_rows = xgboost_side(a.zoo, m("f.npy"), m("pair.dpa"), a.repeat)
    cold = cold_cache(a.zoo, m("cold.npy"))
    report = {"zoo": a.zoo, "commands": results, "xgboost": xgb_rows, "cold_cache": cold}
    if a.json:
        print(json.dumps(report, indent=1))
        return
    from markdown_table import print_table
    print_table(["command", "wall s", "max RSS MB", "longest silence s"],
                [["`dpa %s`" % r["command"], "%.1f" % r["seconds"], "%.0f" % r["max_rss_mb"],
                  "%.1f" % r["longest_silence_s"]] for r in results])
    if cold:
        print()
        print("Cold page cache: sequential read %.2f GB/s, `dpa features` %.2f GB/s (%.0f %% of the read)" % (
            cold["read_gb_per_s"], cold["features_gb_per_s"], 100 * cold["features_gb_per_s"] / cold["read_gb_per_s"]))
    if xgb_rows:
        print()
        print_table(["training", "rows", "dpa train s (median)", "XGBoost hist s (median)",
                     "ratio dpa / XGBoost, median (min-max)"],
                    [[x["case"], "%d" % x["train_rows"], "%.2f" % x["dpa_seconds"], "%.2f" % x["xgboost_seconds"],
                      "%.2f (%.2f-%.2f)" % (x["median_ratio"], x["min_ratio"], x["max_ratio"])] for x in xgb_rows])


def warm_page_cache(zoo):
    """Reads weights.npy once, so the commands' figures are warm-cache ones even after a run that
    dropped the cache (cold_cache, below) or a first read of a new zoo."""
    print("warming the page cache: reading weights.npy once", file=sys.stderr)
    read_through(os.path.join(zoo, "weights.npy"))


def read_through(path):
    """Reads a file from start to end in 16 MB blocks, keeping nothing."""
    with open(path, "rb", buffering=0) as f:
        while f.read(16 << 20):
            pass


def drop_page_cache():
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("1\n")


def cold_cache(zoo, out):
    """dpa features against a plain sequential read of weights.npy, each from a cold page cache
    (needs root: /proc/sys/vm/drop_caches); None where that is not allowed."""
    if not os.access("/proc/sys/vm/drop_caches", os.W_OK):
        print("cold-cache figures skipped: dropping the page cache needs root", file=sys.stderr)
        return None
    path = os.path.join(zoo, "weights.npy")
    size = os.path.getsize(path)
    os.sync()
    drop_page_cache()
    start = time.perf_counter()
    read_through(path)
    read_s = time.perf_counter() - start
    drop_page_cache()
    features_s, _, _, _ = run([DPA, "features", zoo, "-o", out, "--threads", "2"])
    r = {"read_gb_per_s": size / read_s / 1e9, "features_gb_per_s": size / features_s / 1e9}
    print("cold cache: read %.2f GB/s, features %.2f GB/s" % (r["read_gb_per_s"], r["features_gb_per_s"]), file=sys.stderr)
    return r


def xgboost_side(zoo, features_path, model_path, repeat):
    """dpa train against XGBoost hist on the same rows (the same run-level split hash), 500 trees,
    depth 6, learning rate 0.05, 2 threads, no early stopping; `repeat` pairs run alternately,
    the median ratio reported (this machine's speed drifts between runs)."""
    try:
        import numpy as np
        import xgboost as xgb
    except ImportError:
        print("no python3-xgboost / python3-numpy: XGBoost side skipped", file=sys.stderr)
        return []
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import split_hash as split
    with gzip.open(os.path.join(zoo, "metrics.csv.gz"), "rt") as f:
        rows = list(csv.DictReader(f))
    modeldir = [r["modeldir"] for r in rows]
    step = np.array([int(r["step"]) for r in rows])
    epochs = np.array([int(r["config.epochs"]) for r in rows])
    acc = np.array([float(r["test_accuracy"]) for r in rows], dtype=np.float32)
    position = {d: split.run_position(d, 0) for d in set(modeldir)}
    features = np.load(features_path, mmap_mode="r")
    out = []
    for case, checkpoints, sel in (("final checkpoints", "final", step == epochs),
                                   ("all checkpoints", "all", np.ones(len(rows), bool))):
        train = sel & np.array([position[d] >= 0.2 for d in modeldir])  # dpa's test side: below 0.2
        dtrain = xgb.DMatrix(np.ascontiguousarray(features[train]), label=acc[train], nthread=2)
        # dpa's defaults sample 0.8 of the rows and of the features per tree: XGBoost the same.
        params = {"tree_method": "hist", "max_depth": 6, "eta": 0.05, "nthread": 2, "objective": "reg:squarederror",
                  "subsample": 0.8, "colsample_bytree": 0.8, "seed": 0}
        pairs = []
        for _ in range(repeat):
            _, _, _, text = run([DPA, "train", zoo, "-o", model_path, "--checkpoints", checkpoints, "--validation-fraction", "0",
                                 "--patience", "0", "--trees", "500", "--depth", "6", "--learning-rate", "0.05",
                                 "--threads", "2", "--json"])
            ours = json.loads(text)
            assert ours["train_rows"] == int(train.sum()), (ours["train_rows"], int(train.sum()))
            start = time.perf_counter()
            xgb.train(params, dtrain, num_boost_round=500)
            pairs.append((ours["train_seconds"], time.perf_counter() - start))
            print("%s: dpa %.2f s, XGBoost %.2f s" % (case, *pairs[-1]), file=sys.stderr)
        ratios = sorted(d / x for d, x in pairs)
        out.append({"case": case, "train_rows": int(train.sum()), "pairs": pairs,
                    "median_ratio": ratios[len(ratios) // 2], "min_ratio": ratios[0], "max_ratio": ratios[-1],
                    "dpa_seconds": sorted(d for d, _ in pairs)[len(pairs) // 2],
                    "xgboost_seconds": sorted(x for _, x in pairs)[len(pairs) // 2]})
    return out


if __name__ == "__main__":
    main()
