"""Replays of recorded sweeps through the live code: each recorded run of a statistics zoo becomes a
trial of a fresh Optuna study, its checkpoints reported step by step in the order they were
recorded, and the study's pruner (a SweepPruner, or any of Optuna's own) decides at every step as
it would live. scripts/sweep-live-replay.py runs many orders of many runs against Optuna's
pruners; a test checks that a live study and the replay of its own records decide alike.

    runs, layout = dpa.replay.read_runs("sweep-zoo")          # a statistics zoo (dpa zoo stats)
    study = dpa.replay.replay(runs[:100], optuna.pruners.MedianPruner())
    dpa.replay.outcome(study, runs[:100])   # epochs used, best 10 % stopped, regret
"""
import csv
import gzip
import json
import math
import os
from dataclasses import dataclass, field

import numpy as np
import optuna

from . import Segment
from ._sweep import SweepPruner

# The loop's metrics a replay reports besides the observed test accuracy, when a zoo has them for
# every row (as the C++ learner's columns_of reads a zoo).
EXTRA_METRICS = ("train_loss", "train_accuracy", "test_loss")
RESERVED_CONFIG = ("config.epochs", "config.random_seed")


@dataclass
class Run:
    name: str
    epochs: int
    params: dict                                   # hyperparameters, without "config."
    steps: list = field(default_factory=list)      # recorded steps, ascending
    rows: list = field(default_factory=list)       # statistics row index per step
    metrics: list = field(default_factory=list)    # {name: value} per step, test_accuracy first
    num_weights: int = 0

    @property
    def final(self):
        return self.metrics[-1]["test_accuracy"]


def _layout(zoo):
    segments = []
    with open(os.path.join(zoo, "layout.csv"), newline="") as f:
        for r in csv.DictReader(f):
            name = r["varname"]
            kind = "bias" if "bias" in name else "kernel" if "kernel" in name else "other"
            start, end = int(r["start_idx"]), int(r["end_idx"])
            segments.append(Segment(start, end - start, kind))
    return segments


def _metrics_rows(zoo):
    """The metrics file's rows as dicts (metrics.jsonl first, as the C++ reader chooses)."""
    jsonl = os.path.join(zoo, "metrics.jsonl")
    if os.path.isfile(jsonl):
        with open(jsonl) as f:
            return [json.loads(line) for line in f if line.strip()]
    path = os.path.join(zoo, "metrics.csv.gz")
    with (gzip.open(path, "rt") if os.path.isfile(path) else open(os.path.join(zoo, "metrics.csv"))) as f:
        return list(csv.DictReader(f))


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def read_runs(zoo, finished_only=True):
    """The runs of a statistics zoo in zoo order (of their first rows: a live study's trial
    order), the finished ones only unless finished_only is False; its layout; its statistics
    rows. A weights zoo is refused with the command that makes its statistics zoo."""
    stats_path = os.path.join(zoo, "statistics.npy")
    if not os.path.isfile(stats_path):
        raise ValueError("%s: not a statistics zoo; make one with `dpa zoo stats %s -o DIR`" % (zoo, zoo))
    statistics = np.load(stats_path, mmap_mode="r")
    weights_per_row = json.load(open(os.path.join(zoo, "statistics.json")))["weights_per_row"]
    rows = _metrics_rows(zoo)[:statistics.shape[0]]
    extra = [m for m in EXTRA_METRICS
             if all(_number(r.get(m)) is not None and math.isfinite(_number(r.get(m))) for r in rows)]
    # Every config.* column but the reserved ones: the hyperparameters a live trial had (the
    # learner reads them all, constant ones included).
    varying = sorted({k for r in rows for k in r if k.startswith("config.") and k not in RESERVED_CONFIG})
    runs = {}
    for index, r in enumerate(rows):
        name = r["modeldir"]
        run = runs.get(name)
        if run is None:
            params = {}
            for k in varying:
                v = r.get(k)
                if v in (None, ""):
                    continue
                params[k[len("config."):]] = _number(v) if _number(v) is not None else str(v)
            run = runs[name] = Run(name, int(float(r["config.epochs"])), params,
                                   num_weights=int(float(r.get("num_weights") or weights_per_row)))
        run.steps.append(int(float(r["step"])))
        run.rows.append(index)
        metrics = {"test_accuracy": float(r["test_accuracy"])}
        metrics.update({m: float(r[m]) for m in extra})
        run.metrics.append(metrics)
    finished = []
    for run in runs.values():
        order = np.argsort(run.steps, kind="stable")
        run.steps = [run.steps[i] for i in order]
        run.rows = [run.rows[i] for i in order]
        run.metrics = [run.metrics[i] for i in order]
        if not finished_only or (run.steps and run.steps[-1] == run.epochs):
            finished.append(run)
    return finished, _layout(zoo), statistics


def write_history(runs, statistics, layout, directory):
    """Recorded runs written as a statistics zoo (dpa.ZooWriter.add_statistics), to be another
    sweep's history (SweepPruner(history=directory))."""
    from . import ZooWriter
    with ZooWriter(directory, layout, store="stats") as writer:
        for run in runs:
            config = dict(run.params, epochs=run.epochs)
            for step, row, metrics in zip(run.steps, run.rows, run.metrics):
                extra = {k: v for k, v in metrics.items() if k != "test_accuracy"}
                writer.add_statistics(statistics[row], run.name, step, metrics["test_accuracy"], config, **extra)
    return directory


def distributions(runs):
    """An Optuna distribution per hyperparameter, spanning the runs' values."""
    out = {}
    for name in sorted({k for r in runs for k in r.params}):
        values = [r.params[name] for r in runs if name in r.params]
        if all(isinstance(v, float) for v in values):
            out[name] = optuna.distributions.FloatDistribution(min(values), max(values))
        else:
            out[name] = optuna.distributions.CategoricalDistribution(sorted({str(v) for v in values}))
    return out


def replay(runs, pruner, statistics=None, seed=0, first_step=1, study_name=None):
    """One study: each run a trial in the order given, its recorded checkpoints from first_step on
    reported step by step (through pruner.report_statistics for a SweepPruner, trial.report
    otherwise), asked after each report but the last (a finished trial has nothing left to save),
    stopped where the pruner says. first_step 1: a loop reports after its first epoch, not its
    untrained network. study_name: Optuna's HyperbandPruner puts trials in brackets by a hash of
    the study's name, a random one when None (its replays then vary from run to run). Returns the
    study."""
    study = optuna.create_study(study_name=study_name, direction="maximize", pruner=pruner,
                                sampler=optuna.samplers.RandomSampler(seed))
    space = distributions(runs)
    for run in runs:
        fixed = {k: (v if isinstance(space[k], optuna.distributions.FloatDistribution) else str(v))
                 for k, v in run.params.items()}
        study.enqueue_trial(fixed)
        trial = study.ask({k: d for k, d in space.items() if k in fixed})
        for step, row, metrics in zip(run.steps, run.rows, run.metrics):
            if step < first_step:
                continue
            if isinstance(pruner, SweepPruner):
                pruner.report_statistics(trial, step, statistics[row], metrics, run.num_weights)
            else:
                trial.report(metrics["test_accuracy"], step)
            if step < run.epochs and trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                break
        else:
            study.tell(trial, run.final)
    return study


def best_runs(runs, best_fraction=0.1):
    """The indices of the best `best_fraction` of runs by final value (at least one), best first."""
    best = max(1, int(round(best_fraction * len(runs))))
    return sorted(range(len(runs)), key=lambda i: -runs[i].final)[:best]


def outcome(study, runs, best_fraction=0.1):
    """What a replay cost and lost: the fraction of the runs' epochs trained, how many of the best
    10 % of runs (by final value) were stopped, and the regret (best final of all runs less the
    best final the study completed)."""
    trials = study.get_trials(deepcopy=False)  # read only: study.trials deep-copies every trial
    used = sum(t.last_step or 0 for t in trials) / sum(r.epochs for r in runs)
    ranked = best_runs(runs, best_fraction)
    best = len(ranked)
    stopped = sum(trials[i].state == optuna.trial.TrialState.PRUNED for i in ranked)
    found = max((runs[i].final for i, t in enumerate(trials) if t.state == optuna.trial.TrialState.COMPLETE),
                default=-math.inf)
    return {"epochs_used": used, "best_stopped": stopped, "best_runs": best,
            "regret": max(r.final for r in runs) - found, "completed": sum(
                t.state == optuna.trial.TrialState.COMPLETE for t in trials)}
