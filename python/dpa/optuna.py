"""An Optuna pruner that stops trials from their weights and training loop, not their learning
curve alone.

    model = dpa.Model("stop.dpa")       # dpa train ... --target final_test_accuracy --context ...
    study = optuna.create_study(direction="maximize", pruner=dpa.optuna.WeightsPruner(model))
    def objective(trial):
        ...
        for epoch in range(1, epochs + 1):
            train_one_epoch()
            dpa.optuna.report(trial, epoch, net, model, {"train_loss": loss, "config.optimizer": "adam"})
            if trial.should_prune():
                raise optuna.TrialPruned()

report() records the predicted final accuracy as the trial's intermediate value at that step, so
it lives in the study's storage: parallel workers (any storage Optuna shares) compare against the
same predictions. The pruner stops a trial whose prediction is below the p-th percentile of the
other trials' predictions at the same step (after n_startup_trials), below stop_below, or more
than max_gap under the best prediction so far.
"""
import math

import numpy as np
import optuna

from . import Model
from ._sweep import REFIT_PRIORITIES, SweepPruner  # noqa: F401 (REFIT_PRIORITIES: the choices)
from .sweep import export_zoo

__all__ = ["WeightsPruner", "SweepPruner", "report", "export_zoo", "journal_storage"]


class _RetryingJournalFile(optuna.storages.JournalFileStorage):
    """Optuna 3.1's journal file can be read while another worker writes a line, and then fails the
    trial with a JSONDecodeError (optuna/optuna#5138): read it again."""

    def read_logs(self, log_number_from):
        import json
        import time
        for _ in range(100):
            try:
                return super().read_logs(log_number_from)
            except json.JSONDecodeError:
                time.sleep(0.01)
        return super().read_logs(log_number_from)


def journal_storage(path):
    """optuna.storages.JournalStorage on a journal file that several worker processes share,
    working around optuna/optuna#5138 (docs/sweep-learner.md)."""
    return optuna.storages.JournalStorage(_RetryingJournalFile(path))


def report(trial, step, module_or_weights, model, context=None):
    """Predicts the trial's final accuracy at `step` and reports it to Optuna. module_or_weights:
    a torch module (flattened by dpa.torch, its layout checked) or a weight vector."""
    if isinstance(module_or_weights, (np.ndarray, list, tuple)):
        weights = np.asarray(module_or_weights)
    else:
        from .torch import flatten, layout_of
        model.check_layout(layout_of(module_or_weights))
        weights = flatten(module_or_weights)
    context = dict(context or {})
    context.setdefault("step", step)
    known = {n: context[n] for n in model.context_names if n in context}
    try:
        predicted = model.predict(weights, known if model.context_names else None)
    except Exception:
        if not np.all(np.isfinite(weights)):
            predicted = float("nan")  # a diverged run: the pruner stops it
        else:
            raise
    trial.report(predicted, step)
    return predicted


class WeightsPruner(optuna.pruners.BasePruner):
    def __init__(self, model=None, percentile=50.0, n_startup_trials=5, stop_below=None, max_gap=None):
        """percentile: stop below this percentile of the other trials' predictions at the step
        (50, as Optuna's MedianPruner; None: off). The others are every other trial that reported
        the step, pruned and running ones included (Optuna's PercentilePruner reads completed
        trials). max_gap: stop more than this under the best prediction (None or <= 0: off, as the
        runtime's dpa_early_stop reads it)."""
        if model is not None and not isinstance(model, Model):
            model = Model(model)
        if model is not None and model.target != "final_test_accuracy":
            raise ValueError("the pruner needs a model of the run's final accuracy (--target final_test_accuracy)")
        self.model = model
        self.percentile = percentile
        self.n_startup_trials = n_startup_trials
        self.stop_below = stop_below
        self.max_gap = max_gap

    def prune(self, study, trial):
        step = trial.last_step
        if step is None:
            return False
        value = trial.intermediate_values[step]
        if value is None or math.isnan(value):
            return True
        if self.stop_below is not None and value < self.stop_below:
            return True
        others = [t.intermediate_values[step] for t in study.get_trials(deepcopy=False)
                  if t.number != trial.number and step in t.intermediate_values]
        others = [v for v in others if v is not None and not math.isnan(v)]
        if self.max_gap is not None and self.max_gap > 0 and others and value < max(others) - self.max_gap:
            return True
        if self.percentile is None or len(others) < self.n_startup_trials or not others:
            return False
        return value < float(np.percentile(others, self.percentile))
