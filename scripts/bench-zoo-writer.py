#!/usr/bin/env python3
"""What recording a sweep costs, through dpa.ZooWriter (the host library's writer):
1,000 checkpoints of a 10M-parameter network (ResNet-sized segments) with store="stats" and with
store="weights", each in a process of its own: max RSS and CPU per checkpoint, against the same
process's baseline (the weights' float32 copy alone, a training step's update of them). And
dpa.optuna.SweepPruner.report() latency while a refit runs in the background.

  /usr/bin/python3 scripts/bench-zoo-writer.py [--checkpoints 1000] [--json]
(with the dpa package installed, or PYTHONPATH=python and the libraries in build/)."""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, resource, sys, time
import numpy as np
import dpa
store, directory, checkpoints = sys.argv[1], sys.argv[2], int(sys.argv[3])
# ResNet-18-like: 20 kernels and their biases/norms, 10.0M weights in all.
sizes = [9408, 64] + [36864, 64] * 4 + [73728, 128] + [147456, 128] * 3 + [8192, 128] + [294912, 256] + \
    [589824, 256] * 3 + [32768, 256] + [1179648, 512] + [2359296, 512] * 2 + [1048576, 512] + [393216, 3584]
layout, offset = [], 0
for i, n in enumerate(sizes):
    layout.append(dpa.Segment(offset, n, "kernel" if i % 2 == 0 else "bias"))
    offset += n
weights = np.random.default_rng(0).standard_normal(offset, dtype=np.float32)  # float32 from the start
weights *= np.float32(0.05)
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
writer = dpa.ZooWriter(directory, layout, store=store)
baseline_cpu = add_cpu = 0.0
for k in range(checkpoints):
    t = time.process_time()
    weights += np.float32(1e-6)                 # a training step's new weights (in place): the baseline
    baseline_cpu += time.process_time() - t
    t = time.process_time()
    writer.add(weights, run="run%d" % (k // 10), step=k % 10, test_accuracy=0.5, config={"epochs": 9})
    add_cpu += time.process_time() - t
writer.close()
print(json.dumps({"store": store, "weights": offset, "checkpoints": checkpoints,
                  "ms_cpu_per_add": 1e3 * add_cpu / checkpoints, "ms_cpu_baseline": 1e3 * baseline_cpu / checkpoints,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rss_before_writer_mb": rss_before / 1024}))
"""

REPORT = r"""
import json, sys, threading, time
import numpy as np, optuna, torch
import dpa, dpa.optuna
optuna.logging.set_verbosity(optuna.logging.WARNING)
torch.set_num_threads(1)
pruner = dpa.optuna.SweepPruner(sys.argv[1], epochs=4, percentile=25, n_startup_trials=3)
study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0))
during, outside = [], []
def objective(trial):
    torch.manual_seed(trial.number)
    net = torch.nn.Sequential(torch.nn.Linear(784, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
    quality = trial.suggest_float("q", 0, 1)
    for step in range(5):
        fitting = pruner.state()["fitting"]
        t = time.perf_counter()
        pruner.report(trial, step, net, {"test_accuracy": quality * (step + 1) / 5 + 0.05 * np.sin(trial.number),
                                         "train_loss": 1 - quality})
        (during if fitting else outside).append(1e3 * (time.perf_counter() - t))
        if trial.should_prune():
            raise optuna.TrialPruned()
    return quality
study.optimize(objective, n_trials=int(sys.argv[2]))
print(json.dumps({"reports_during_refit": len(during), "reports_outside": len(outside),
                  "ms_median_during_refit": float(np.median(during)) if during else None,
                  "ms_max_during_refit": float(np.max(during)) if during else None,
                  "ms_median_outside": float(np.median(outside)), "fits": pruner.state()["fits"]}))
"""


def run(code, *args):
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoints", type=int, default=1000, help="store=stats")
    ap.add_argument("--weights-checkpoints", type=int, default=200, help="store=weights (40 MB of disk each)")
    ap.add_argument("--trials", type=int, default=300, help="trials of the report-latency sweep")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="dpa-bench-writer-") as work:
        for store, count in (("stats", a.checkpoints), ("weights", a.weights_checkpoints)):
            print("recording %d checkpoints, store=%s ..." % (count, store), file=sys.stderr, flush=True)
            results.append(run(CHILD, store, os.path.join(work, store), str(count)))
            size = sum(os.path.getsize(os.path.join(work, store, f)) for f in os.listdir(os.path.join(work, store)))
            results[-1]["zoo_mb"] = size / 1e6
            if store == "weights":
                os.system("rm -rf " + os.path.join(work, store))  # 40 MB a checkpoint: freed at once
        print("report() latency during refits ...", file=sys.stderr, flush=True)
        latency = run(REPORT, os.path.join(work, "sweep"), str(a.trials))
    if a.json:
        print(json.dumps({"recording": results, "report": latency}))
        return
    print("| store | checkpoints of %d weights | CPU per add | baseline (a step's update of the weights) | "
          "max RSS (before the writer) | zoo |" % results[0]["weights"])
    print("|---|---|---|---|---|---|")
    for r in results:
        print("| %s | %d | %.1f ms | %.1f ms | %.0f MB (%.0f MB) | %.1f MB |" % (
            r["store"], r["checkpoints"], r["ms_cpu_per_add"], r["ms_cpu_baseline"], r["max_rss_mb"],
            r["rss_before_writer_mb"], r["zoo_mb"]))
    print("\nSweepPruner.report(): median %.2f ms outside refits, %.2f ms (max %.2f) in %d reports made while a "
          "refit ran (%d refits)" % (latency["ms_median_outside"], latency["ms_median_during_refit"] or float("nan"),
                                     latency["ms_max_during_refit"] or float("nan"), latency["reports_during_refit"],
                                     latency["fits"]))


if __name__ == "__main__":
    main()
