#!/usr/bin/python3
"""The sweep's own cost as it grows (#39): a synthetic sweep through dpa.optuna.SweepPruner and the
host library's learner, 2 workers (study.optimize(n_jobs=2), one learner), networks of the zoo
CNN's 8 segments (4970 weights), 4 metrics, 6 hyperparameters, every trial run to its last step
(decisions are asked for and timed, never acted on: the most checkpoints a sweep of that size
gives the learner, and the same work for every setting). Each epoch of a trial is a short
CPU-bound loop (float64 matrix products, one BLAS thread), so that refits compete for the cores.

Reported:
- report()'s median and p99 against the trials so far, and should_prune()'s, beside the same
  sweep with Optuna's PercentilePruner (its report() is trial.report; the baseline of the costs);
- each refit's trials, rows, rows trained on, wall and CPU seconds, and whether the next one came
  due before it ended;
- the process's peak RSS (the learner, Optuna's in-memory storage and Python);
- the learner alone, in a process of its own fed the same number of checkpoints through the C
  ABI: its RSS growth; then the slowdown a refit causes to a CPU-bound loop on every core beside
  it (the training a user runs): the loop's median iteration while a refit runs over its median
  right after that refit ended, over 3 refits.
Goals (#39, at 5,000 trials x 50 steps): report() median <= 2 ms, p99 <= 20 ms; learner RSS <=
500 MB; a refit <= 30 s; the loop slowed by <= 10 %.

  /usr/bin/python3 scripts/bench-sweep-scale.py [--trials 5000] [--steps 50] [--workers 2] [--json]
  /usr/bin/python3 scripts/bench-sweep-scale.py --table RESULT.json   (the tables of a saved result)
"""
import os

for _blas in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")  # each loop thread is one core

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
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


def metrics_at(accuracy):
    return {"test_accuracy": accuracy, "test_loss": 2.3 * (1 - accuracy), "train_accuracy": min(1.0, accuracy + 0.02),
            "train_loss": 2.2 * (1 - accuracy)}


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


def matrix_loop(ms):
    """A CPU-bound loop of about `ms` milliseconds (float64 matrix products; the GIL released)."""
    m = np.random.default_rng(0).normal(size=(96, 96))
    start, n = time.perf_counter(), 0
    while time.perf_counter() - start < 0.2:
        m @ m
        n += 1
    repeats = int(n * ms / 200)

    def run():
        for _ in range(repeats):
            m @ m
    return run


def sweep(a, ours=True):
    """The sweep with SweepPruner (ours) or with Optuna's PercentilePruner at the same percentile."""
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
    epoch = matrix_loop(a.epoch_ms)
    base = np.random.default_rng(a.seed).normal(size=width).astype(np.float32)
    lock = threading.Lock()
    reports, prunes = [], []  # (trials so far, seconds)
    started = time.perf_counter()

    def objective(trial):
        rng = np.random.default_rng([a.seed, trial.number])
        final = final_accuracy(hyperparameters(trial), rng)
        for step in range(1, a.steps + 1):
            epoch()
            accuracy = float(np.clip(final * (1 - 0.7 * np.exp(-step / 8)) + rng.normal(0, 0.01), 0, 1))
            weights = base * np.float32(0.05 + final * step / a.steps) + rng.normal(0, 0.01, width).astype(np.float32)
            t0 = time.perf_counter()
            if ours:
                pruner.report(trial, step, weights, metrics_at(accuracy))
            else:
                trial.report(accuracy, step)
            t1 = time.perf_counter()
            trial.should_prune()  # asked and timed; the trial goes on
            t2 = time.perf_counter()
            with lock:
                reports.append((trial.number + 1, t1 - t0))
                prunes.append((trial.number + 1, t2 - t1))
        return final

    def progress(study, trial):
        if (trial.number + 1) % max(1, a.trials // 20) == 0:
            refits = len(pruner.state()["refits"]) if ours else 0
            print("  %s: %d trials, %.0f s, %d refits, peak RSS %.0f MB" %
                  ("SweepPruner" if ours else "PercentilePruner", trial.number + 1, time.perf_counter() - started,
                   refits, peak_rss_mb()), file=sys.stderr, flush=True)

    study.optimize(objective, n_trials=a.trials, n_jobs=a.workers, callbacks=[progress])
    out = {"seconds": round(time.perf_counter() - started, 1), "report": quantiles([s for _, s in reports]),
           "should_prune": quantiles([s for _, s in prunes]), "by_trials": by_trials(a, reports, prunes)}
    if ours:
        pruner.wait()
        refits = pruner.state()["refits"]
        out.update({"refits": refits, "late_refits": sum(r["late"] for r in refits),
                    "refit_max_wall_seconds": max((r["wall_seconds"] for r in refits), default=None),
                    "peak_rss_mb": round(peak_rss_mb(), 1)})
    return out


LEARNER_ALONE = r"""
import ctypes, json, os, sys, threading, time
import numpy as np
import dpa
from dpa import _host
trials, steps, seed, max_fit_rows, priority, window = sys.argv[1:]
trials, steps, seed, max_fit_rows, window = int(trials), int(steps), int(seed), int(max_fit_rows), float(window)

def rss_mb(field):
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(field)) / 1024

layout = dpa.zoo_layout()
c_layout, keep = dpa._c_layout(layout)
handle = ctypes.c_void_p()
options = {"percentile": 100, "max_fit_rows": max_fit_rows, "refit_priority": priority}
_host.check(_host.lib.dpa_host_sweep_open(b"", ctypes.byref(c_layout), json.dumps(options).encode(),
                                          ctypes.byref(handle)))
rng = np.random.default_rng(seed)
base = dpa.stats(rng.normal(size=4970).astype(np.float32), layout, "extended").ravel()
decision = _host.SweepDecision()
fed = 0

def feed_trial():
    global fed
    final = rng.uniform(0.3, 0.9)
    hyper = json.dumps({"lr": float(rng.uniform()), "momentum": float(rng.uniform()), "weight_decay": 1e-4,
                        "batch_size": int(rng.integers(16, 256)), "optimizer": "adam", "dropout": 0.1}).encode()
    for step in range(1, steps + 1):
        row = (base * (0.5 + final * step / steps) + rng.normal(0, 0.01, base.size)).astype(np.float32)
        acc = final * (1 - 0.7 * np.exp(-step / 8))
        metrics = json.dumps({"test_accuracy": acc, "test_loss": 2.3 * (1 - acc), "train_accuracy": acc,
                              "train_loss": 2.2 * (1 - acc)}).encode()
        _host.check(_host.lib.dpa_host_sweep_report_statistics(handle, b"t%d" % fed, step, steps, dpa._ptr(row),
                                                               row.size, 4970, metrics, hyper, 0,
                                                               ctypes.byref(decision)))
    fed += 1

def fitting():
    needed = ctypes.c_size_t()
    _host.lib.dpa_host_sweep_state(handle, None, 0, ctypes.byref(needed))
    buffer = ctypes.create_string_buffer(needed.value + 4096)
    _host.check(_host.lib.dpa_host_sweep_state(handle, buffer, len(buffer), ctypes.byref(needed)))
    return json.loads(buffer.value)["fitting"]

def loop_on_every_core(seconds, while_fitting):
    # One thread per core, each timing 20-ms chunks of matrix products (the GIL released).
    m = np.random.default_rng(0).normal(size=(96, 96))
    times, end = [], time.perf_counter() + seconds
    def worker():
        while time.perf_counter() < end:
            t = time.perf_counter()
            for _ in range(40):
                m @ m
            took = time.perf_counter() - t
            if fitting() or not while_fitting:  # asked in both phases alike
                times.append(took)
    threads = [threading.Thread(target=worker) for _ in range(os.cpu_count())]
    for t in threads: t.start()
    for t in threads: t.join()
    return float(np.median(times)) if times else float("nan"), len(times)

before = rss_mb("VmRSS:")
for _ in range(trials):
    feed_trial()
_host.check(_host.lib.dpa_host_sweep_wait(handle))
memory = {"checkpoints": trials * steps, "rss_before_mb": round(before, 1), "rss_after_mb": round(rss_mb("VmRSS:"), 1),
          "peak_rss_mb": round(rss_mb("VmHWM:"), 1)}
slowdowns = []
for _ in range(3):
    while not fitting():  # more finished trials until the next refit starts
        feed_trial()
    during, n_during = loop_on_every_core(window, True)
    _host.check(_host.lib.dpa_host_sweep_wait(handle))
    after, n_after = loop_on_every_core(window, False)
    slowdowns.append({"during_ms": round(1000 * during, 3), "after_ms": round(1000 * after, 3),
                      "chunks_during": n_during, "chunks_after": n_after, "slowdown": round(during / after - 1, 4)})
print(json.dumps({"memory": memory, "loop_beside_refits": slowdowns}))
"""


def learner_alone(a):
    """The learner in a process of its own: its memory, and a refit's cost to a loop beside it."""
    out = subprocess.run([sys.executable, "-c", LEARNER_ALONE, str(a.trials), str(a.steps), str(a.seed),
                          str(a.max_fit_rows), a.refit_priority, str(a.window)], check=True, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["learner_rss_mb"] = round(r["memory"]["peak_rss_mb"] - r["memory"]["rss_before_mb"], 1)
    r["loop_slowdown"] = float(np.median([s["slowdown"] for s in r["loop_beside_refits"]]))
    return r


def table(r):
    base = r.get("optuna_percentile_pruner")
    print("%d trials x %d steps, %d workers: %.0f s (PercentilePruner: %s s)" %
          (r["trials"], r["steps"], r["workers"], r["seconds"], base["seconds"] if base else "n/a"))
    print("| trials so far | report() median / p99 ms | should_prune() median / p99 ms |"
          " PercentilePruner: report() | should_prune() |")
    print("|---|---|---|---|---|")
    for k, b in enumerate(r["by_trials"]):
        o = base["by_trials"][k] if base else None
        cells = ["%s / %s" % (x["median_ms"], x["p99_ms"]) for x in
                 (b["report"], b["should_prune"]) + ((o["report"], o["should_prune"]) if o else ())]
        print("| %s | %s |" % (b["trials"], " | ".join(cells + ["n/a"] * (4 - len(cells)))))
    refits = r["refits"]
    shown = sorted(set(np.linspace(0, len(refits) - 1, min(len(refits), 10)).round().astype(int))) if refits else []
    print("\n%d refits%s:\n" % (len(refits), "" if len(shown) == len(refits) else
                                 ", %d of them (evenly spaced; --json has all)" % len(shown)))
    print("| refit | trials | rows | trained on | wall s | CPU s | late |")
    print("|---|---|---|---|---|---|---|")
    for f in (refits[k] for k in shown):
        print("| %d | %d | %d | %d | %.2f | %.2f | %s |" % (f["fit"], f["trials"], f["rows"], f["fit_rows"],
                                                          f["wall_seconds"], f["cpu_seconds"], f["late"]))
    alone = r["learner_alone"]
    print("\nreport(): median %s ms, p99 %s ms; longest refit %.1f s (%d of %d late); peak RSS of the sweep's "
          "process %s MB; the learner alone: %s MB over %s MB before; a loop on every core slowed %.1f %% while a "
          "refit ran (median of %s)" %
          (r["report"]["median_ms"], r["report"]["p99_ms"], r["refit_max_wall_seconds"], r["late_refits"],
           len(r["refits"]), r["peak_rss_mb"], alone["learner_rss_mb"], alone["memory"]["rss_before_mb"],
           100 * alone["loop_slowdown"], ", ".join("%.1f %%" % (100 * s["slowdown"])
                                                   for s in alone["loop_beside_refits"])))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--trials", type=int, default=5000)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--percentile", type=float, default=50.0, help="SweepPruner's and PercentilePruner's")
    p.add_argument("--max-fit-rows", type=int, default=50000, help="SweepPruner(max_fit_rows=...)")
    p.add_argument("--refit-priority", default="low", choices=dpa.optuna.REFIT_PRIORITIES,
                   help="SweepPruner(refit_priority=...)")
    p.add_argument("--epoch-ms", type=float, default=2.0, help="each epoch's CPU-bound loop")
    p.add_argument("--window", type=float, default=10.0, help="seconds the loop runs during and after a refit")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-baseline", dest="baseline", action="store_false",
                   help="skip the same sweep with Optuna's PercentilePruner")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--table", metavar="RESULT.json", help="print the tables of a saved --json result, run nothing")
    a = p.parse_args()
    if a.table:
        return table(json.load(open(a.table)))
    if a.trials < 1 or a.steps < 1 or a.workers < 1:
        p.error("--trials, --steps and --workers must be at least 1")
    r = {"trials": a.trials, "steps": a.steps, "workers": a.workers, "percentile": a.percentile,
         "max_fit_rows": a.max_fit_rows, "refit_priority": a.refit_priority}
    r.update(sweep(a))
    if a.baseline:
        r["optuna_percentile_pruner"] = sweep(a, ours=False)
    r["learner_alone"] = learner_alone(a)
    if a.json:
        print(json.dumps(r, indent=1))
    else:
        table(r)


if __name__ == "__main__":
    main()
