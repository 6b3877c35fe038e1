#!/usr/bin/python3
"""The sweep's own cost as it grows (#39): a synthetic sweep through dpa.optuna.SweepPruner and the
host library's learner, 2 workers (study.optimize(n_jobs=2), one learner), networks of the zoo
CNN's 8 segments (4970 weights), 4 metrics, 6 hyperparameters, every trial run to its last step
(percentile=100: the most checkpoints a sweep of that size can give the learner). Each epoch of a
trial is a CPU-bound loop (float64 matrix products, one BLAS thread: a stand-in for the training
a user runs beside the pruner), timed.

Reported: report()'s median and p99 against the trials so far (and should_prune()'s, for
scale); each refit's trials, rows, rows trained on, wall and CPU seconds; the process's peak RSS
(the learner, Optuna's in-memory storage and Python: an upper bound of the learner's); the
slowdown of the epoch loop while a refit runs (median epoch time while one runs over the median
while none does, in the same run). Goals (#39, at 5,000 trials x 50 steps): report() median
<= 2 ms, p99 <= 20 ms; RSS <= 500 MB; a refit <= 30 s; the loop slowed by <= 10 %.

  /usr/bin/python3 scripts/bench-sweep-scale.py [--trials 5000] [--steps 50] [--workers 2] [--json]
"""
import os

for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")  # the epoch loop is one thread per worker, as the goal's

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
import optuna  # noqa: E402
import dpa  # noqa: E402
import dpa.optuna  # noqa: E402

METRICS = ("test_accuracy", "test_loss", "train_accuracy", "train_loss")


def hyperparameters(trial):
    return {"lr": trial.suggest_float("lr", 1e-4, 1.0, log=True),
            "momentum": trial.suggest_float("momentum", 0.0, 0.99),
            "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
            "batch_size": trial.suggest_int("batch_size", 16, 256, log=True),
            "optimizer": trial.suggest_categorical("optimizer", ["sgd", "adam", "rmsprop"]),
            "dropout": trial.suggest_float("dropout", 0.0, 0.6)}


def final_accuracy(h, rng):
    """A made-up response surface: best near lr 0.01, worse with dropout and large batches."""
    q = 0.9 - 0.08 * (np.log10(h["lr"]) + 2) ** 2 - 0.2 * h["dropout"] ** 2 - 0.02 * np.log2(h["batch_size"] / 16)
    q += {"sgd": 0.0, "adam": 0.02, "rmsprop": -0.01}[h["optimizer"]] + 0.02 * h["momentum"]
    return float(np.clip(q + rng.normal(0, 0.02), 0.1, 0.99))


def peak_rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def quantiles(seconds):
    if not seconds:
        return {"count": 0, "median_ms": None, "p99_ms": None, "max_ms": None}
    ms = np.asarray(seconds) * 1000
    return {"count": int(ms.size), "median_ms": round(float(np.median(ms)), 3),
            "p99_ms": round(float(np.percentile(ms, 99)), 3), "max_ms": round(float(ms.max()), 3)}


def by_trials(a, reports, prunes):
    """report() and should_prune() quantiles per fifth of the sweep (by the trials so far)."""
    buckets = []
    edges = np.linspace(0, a.trials, 6).astype(int)
    for lo, hi in zip(edges[:-1], edges[1:]):
        buckets.append({"trials": "%d-%d" % (lo + 1, hi),
                        "report": quantiles([s for n, s in reports if lo < n <= hi]),
                        "should_prune": quantiles([s for n, s in prunes if lo < n <= hi])})
    return buckets


class EpochLoop:
    """The training a worker runs: matrix products of about `ms` milliseconds, GIL released."""

    def __init__(self, ms):
        self.a = np.random.default_rng(0).normal(size=(96, 96))
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < 0.2:
            self.a @ self.a
            n += 1
        self.repeats = int(n * ms / 200)

    def run(self):
        start = time.perf_counter()
        for _ in range(self.repeats):
            self.a @ self.a
        return time.perf_counter() - start


def run(a, ours=True):
    """The sweep with SweepPruner (ours) or with Optuna's PercentilePruner at the same percentile
    (its report() is trial.report, its decision Optuna's rule: the baseline of the costs)."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    layout = dpa.zoo_layout()
    width = layout[-1].offset + layout[-1].length
    if ours:
        pruner = dpa.optuna.SweepPruner(None, epochs=a.steps, percentile=a.percentile, layout=layout,
                                        max_fit_rows=a.max_fit_rows, refit_priority=a.refit_priority)
    else:
        pruner = optuna.pruners.PercentilePruner(a.percentile)
    study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(a.seed))
    loop = EpochLoop(a.epoch_ms if ours else 0)
    base = np.random.default_rng(a.seed).normal(size=width).astype(np.float32)
    lock = threading.Lock()
    reports, prunes, epochs = [], [], []  # (trials so far, seconds); (seconds, a refit ran throughout)
    rss_before = peak_rss_mb()
    started = time.perf_counter()

    def objective(trial):
        rng = np.random.default_rng([a.seed, trial.number])
        h = hyperparameters(trial)
        final = final_accuracy(h, rng)
        for step in range(1, a.steps + 1):
            fitting_before = ours and pruner.state()["fitting"]
            took = loop.run()
            fitting_after = ours and pruner.state()["fitting"]
            progress = 1 - 0.7 * np.exp(-step / 8)
            accuracy = float(np.clip(final * progress + rng.normal(0, 0.01), 0, 1))
            metrics = {"test_accuracy": accuracy, "test_loss": 2.3 * (1 - accuracy),
                       "train_accuracy": min(1.0, accuracy + 0.02), "train_loss": 2.2 * (1 - accuracy)}
            weights = base * np.float32(0.05 + final * step / a.steps) + \
                rng.normal(0, 0.01, width).astype(np.float32)
            t0 = time.perf_counter()
            if ours:
                pruner.report(trial, step, weights, metrics)
            else:
                trial.report(accuracy, step)
            t1 = time.perf_counter()
            stop = trial.should_prune()
            t2 = time.perf_counter()
            with lock:
                so_far = trial.number + 1
                reports.append((so_far, t1 - t0))
                prunes.append((so_far, t2 - t1))
                epochs.append((took, fitting_before and fitting_after, fitting_before or fitting_after))
            if stop:
                raise optuna.TrialPruned()
        return final

    def progress(study, trial):
        if (trial.number + 1) % max(1, a.trials // 20) == 0:
            refits = len(pruner.state()["refits"]) if ours else 0
            print("  %s: %d trials, %.0f s, %d refits, peak RSS %.0f MB" %
                  ("SweepPruner" if ours else "PercentilePruner", trial.number + 1, time.perf_counter() - started,
                   refits, peak_rss_mb()), file=sys.stderr, flush=True)

    study.optimize(objective, n_trials=a.trials, n_jobs=a.workers, callbacks=[progress])
    elapsed = time.perf_counter() - started
    if not ours:
        return {"seconds": round(elapsed, 1), "report": quantiles([s for _, s in reports]),
                "should_prune": quantiles([s for _, s in prunes]), "by_trials": by_trials(a, reports, prunes)}
    pruner.wait()
    state = pruner.state()
    buckets = by_trials(a, reports, prunes)
    during = [t for t, throughout, _ in epochs if throughout]
    idle = [t for t, _, touched in epochs if not touched]
    slowdown = (float(np.median(during) / np.median(idle) - 1) if during and idle else None)
    refits = state["refits"]
    return {"trials": a.trials, "steps": a.steps, "workers": a.workers, "percentile": a.percentile,
            "max_fit_rows": a.max_fit_rows, "refit_priority": a.refit_priority, "seconds": round(elapsed, 1),
            "report": quantiles([s for _, s in reports]), "should_prune": quantiles([s for _, s in prunes]),
            "by_trials": buckets, "refits": refits,
            "refit_max_wall_seconds": max((r["wall_seconds"] for r in refits), default=None),
            "late_refits": sum(r["late"] for r in refits),
            "peak_rss_mb": round(peak_rss_mb(), 1), "rss_before_sweep_mb": round(rss_before, 1),
            "epoch_ms": {"idle": quantiles(idle), "during_refit": quantiles(during)},
            "epoch_slowdown_during_refit": None if slowdown is None else round(slowdown, 4)}


LEARNER_ALONE = """
import ctypes, json, sys, time
import numpy as np
import dpa
from dpa import _host
trials, steps, seed, max_fit_rows, priority = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                               int(sys.argv[4]), sys.argv[5])

def rss_mb(field):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(field)) / 1024

layout = dpa.zoo_layout()
c_layout, keep = dpa._c_layout(layout)
handle = ctypes.c_void_p()
options = {"percentile": 100, "max_fit_rows": max_fit_rows, "refit_priority": priority, "startup": 5}
_host.check(_host.lib.dpa_host_sweep_open(b"", ctypes.byref(c_layout), json.dumps(options).encode(),
                                          ctypes.byref(handle)))
rng = np.random.default_rng(seed)
base = dpa.stats(rng.normal(size=4970).astype(np.float32), layout, "extended").ravel()
before = rss_mb("VmRSS:")
decision = _host.SweepDecision()
for t in range(trials):
    final = rng.uniform(0.3, 0.9)
    hyper = json.dumps({"lr": float(rng.uniform()), "momentum": float(rng.uniform()), "weight_decay": 1e-4,
                        "batch_size": int(rng.integers(16, 256)), "optimizer": "adam", "dropout": 0.1}).encode()
    for step in range(1, steps + 1):
        row = (base * (0.5 + final * step / steps) + rng.normal(0, 0.01, base.size)).astype(np.float32)
        acc = final * (1 - 0.7 * np.exp(-step / 8))
        metrics = json.dumps({"test_accuracy": acc, "test_loss": 2.3 * (1 - acc), "train_accuracy": acc,
                              "train_loss": 2.2 * (1 - acc)}).encode()
        _host.check(_host.lib.dpa_host_sweep_report_statistics(handle, b"t%d" % t, step, steps, dpa._ptr(row),
                                                               row.size, 4970, metrics, hyper, 1,
                                                               ctypes.byref(decision)))
_host.check(_host.lib.dpa_host_sweep_wait(handle))
print(json.dumps({"checkpoints": trials * steps, "rss_before_mb": round(before, 1),
                  "rss_after_mb": round(rss_mb("VmRSS:"), 1), "peak_rss_mb": round(rss_mb("VmHWM:"), 1)}))
"""


def learner_alone(a):
    """The learner's own memory: the same number of checkpoints fed to it through the C ABI in a
    process of its own (no Optuna storage, no Python bookkeeping), its RSS growth and peak."""
    import subprocess
    out = subprocess.run([sys.executable, "-c", LEARNER_ALONE, str(a.trials), str(a.steps), str(a.seed),
                          str(a.max_fit_rows), a.refit_priority], check=True, capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["learner_rss_mb"] = round(r["peak_rss_mb"] - r["rss_before_mb"], 1)
    return r


def table(r):
    print("%d trials x %d steps, %d workers: %.0f s" % (r["trials"], r["steps"], r["workers"], r["seconds"]))
    base = r.get("optuna_percentile_pruner")
    print("| trials so far | report() median ms | p99 ms | should_prune() median ms | p99 ms |%s" %
          (" PercentilePruner's should_prune() median ms | p99 ms |" if base else ""))
    print("|---|---|---|---|---|%s" % ("---|---|" if base else ""))
    for k, b in enumerate(r["by_trials"]):
        print("| %s | %s | %s | %s | %s |" % (b["trials"], b["report"]["median_ms"], b["report"]["p99_ms"],
                                             b["should_prune"]["median_ms"], b["should_prune"]["p99_ms"]) +
              (" %s | %s |" % (base["by_trials"][k]["should_prune"]["median_ms"],
                               base["by_trials"][k]["should_prune"]["p99_ms"]) if base else ""))
    print("\n| refit | trials | rows | trained on | wall s | CPU s | late |")
    print("|---|---|---|---|---|---|---|")
    for f in r["refits"]:
        print("| %d | %d | %d | %d | %.2f | %.2f | %s |" % (f["fit"], f["trials"], f["rows"], f["fit_rows"],
                                                          f["wall_seconds"], f["cpu_seconds"], f["late"]))
    print("\nthe learner alone (the same checkpoints through the C ABI, a process of its own): peak RSS %s MB "
          "over %s MB before" % (r["learner_alone"]["peak_rss_mb"], r["learner_alone"]["rss_before_mb"]))
    print("report(): median %s ms, p99 %s ms; peak RSS %s MB; longest refit %s s; epoch loop slowed %s "
          "while a refit ran (%d epochs during, %d without)" %
          (r["report"]["median_ms"], r["report"]["p99_ms"], r["peak_rss_mb"], r["refit_max_wall_seconds"],
           "n/a" if r["epoch_slowdown_during_refit"] is None else "%.1f %%" % (100 * r["epoch_slowdown_during_refit"]),
           r["epoch_ms"]["during_refit"]["count"], r["epoch_ms"]["idle"]["count"]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--trials", type=int, default=5000)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--percentile", type=float, default=100.0, help="SweepPruner's (100: no trial is stopped)")
    p.add_argument("--max-fit-rows", type=int, default=50000, help="SweepPruner(max_fit_rows=...)")
    p.add_argument("--refit-priority", default="low", choices=dpa.optuna.REFIT_PRIORITIES,
                   help="SweepPruner(refit_priority=...)")
    p.add_argument("--epoch-ms", type=float, default=2.0, help="the epoch loop's length")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-baseline", dest="baseline", action="store_false",
                   help="skip the same sweep with Optuna's PercentilePruner (the baseline of the costs)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    a = p.parse_args()
    if a.trials < 1 or a.steps < 1 or a.workers < 1:
        p.error("--trials, --steps and --workers must be at least 1")
    r = run(a)
    if a.baseline:
        r["optuna_percentile_pruner"] = run(a, ours=False)
    r["learner_alone"] = learner_alone(a)
    if a.json:
        print(json.dumps(r, indent=1))
    else:
        table(r)


if __name__ == "__main__":
    main()
