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
import ctypes
import json
import math
import numbers
import os
import threading

import numpy as np
import optuna

from . import Model, Segment, _c_layout, _floats, _ptr

__all__ = ["WeightsPruner", "SweepPruner", "report"]


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


def _step(step):
    """A step as the host library takes it (uint32), or a ValueError."""
    if not isinstance(step, numbers.Integral) or not 0 <= step < 2 ** 32:
        raise ValueError("step must be a whole number in [0, 2**32), got %r" % (step,))
    return int(step)


def _whole(name, value, low, high):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise ValueError("%s must be a whole number from %d to %d, got %r" % (name, low, high, value))


def _fraction(name, value, high):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= float(value) <= high:
        raise ValueError("%s must be a number in [0, %g], got %r" % (name, high, value))


def _hyper_value(name, value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Real) and math.isfinite(float(value)):
        return float(value)
    return str(value)  # anything else Optuna may hold is a category


class SweepPruner(optuna.pruners.BasePruner):
    """Prunes a sweep of your own network from its first trial, with no model file: the host
    library's sweep learner (tools/sweep) records every checkpoint as a statistics zoo in
    `directory`, decides by the percentile rule on the observed metric, and switches to its own
    predictor of the final metric (refit in the background as trials finish) only at the steps
    where its out-of-fold Kendall tau on finished trials beats the observed metric's.

        pruner = dpa.optuna.SweepPruner("sweep-dir", epochs=20)
        study = optuna.create_study(direction="maximize", pruner=pruner)
        def objective(trial):
            ...
            for epoch in range(1, 21):
                train_one_epoch()
                pruner.report(trial, epoch, net, {"test_accuracy": acc, "train_loss": loss})
                if trial.should_prune():
                    raise optuna.TrialPruned()

    percentile: a trial is stopped below this percentile of the scores earlier trials had at the
    same step (50: a median rule); n_startup_trials: trials with a score at that step before any
    is stopped; n_warmup_steps: steps never checked; audit: the fraction of trials never stopped
    (unbiased finals to learn from); history: zoos of past sweeps of the same network (their
    finished runs are learnt from at once). Unlike Optuna's PercentilePruner, the earlier trials
    compared with include pruned and running ones (every trial that reached the step), as
    `dpa early-stop` replays it. Workers in several processes may share `directory` (and the
    study's storage): each reads what the others recorded before it decides. The metric is
    maximised; report() never waits for a refit (background=False: refits run inside report(),
    so that decisions depend on the seed and the trials alone). Networks of one sweep have the same segments
    (count and kinds); their lengths may differ (a width among the hyperparameters).
    """

    def __init__(self, directory, epochs, percentile=50.0, n_startup_trials=5, n_warmup_steps=0, audit=0.0,
                 history=(), seed=0, metric="test_accuracy", layout=None, background=True):
        _whole("epochs", epochs, 1, 2 ** 32 - 1)
        _fraction("percentile", percentile, 100)
        _whole("n_startup_trials", n_startup_trials, 0, 2 ** 32 - 1)
        _whole("n_warmup_steps", n_warmup_steps, 0, 2 ** 32 - 1)
        _whole("seed", seed, 0, 2 ** 64 - 1)
        _fraction("audit", audit, 1)
        if isinstance(history, (str, os.PathLike)):
            history = [history]
        history = [os.fspath(h) for h in history]
        for h in history:
            if not os.path.isfile(os.path.join(h, "layout.csv")):
                raise ValueError("history: %s is not a zoo directory (no layout.csv there)" % h)
        self.directory = os.fspath(directory)
        self.epochs = int(epochs)
        self.n_warmup_steps = int(n_warmup_steps)
        self.metric = metric
        self._options = {"percentile": float(percentile), "startup": int(n_startup_trials), "audit": float(audit),
                         "seed": int(seed), "history": history, "background": bool(background)}
        self._layout = None if layout is None else [s if isinstance(s, Segment) else Segment(*s) for s in layout]
        self._handle = None
        self._opening = threading.Lock()  # study.optimize(n_jobs=N): one handle for all threads
        self._decisions = {}

    def _open(self, layout):
        from . import _host
        with self._opening:
            if self._handle is not None:
                return
            self._c_layout, self._keep = _c_layout(layout)
            handle = ctypes.c_void_p()
            _host.check(_host.lib.dpa_host_sweep_open(self.directory.encode(), ctypes.byref(self._c_layout),
                                                      json.dumps(self._options).encode(), ctypes.byref(handle)))
            self._layout = self._layout or layout
            self._handle = handle

    def report(self, trial, step, module_or_weights, metrics):
        """Records the trial's checkpoint at `step`, decides, and reports the score (the observed
        metric, or the learner's predicted final value where it trusts itself) to Optuna as the
        trial's intermediate value. metrics: the observed metric (`metric`, e.g. test_accuracy) and
        the same other numbers at every report (train_loss, train_accuracy, test_loss, ...).
        Hyperparameters come from trial.params. Returns the score."""
        from . import _host
        if isinstance(module_or_weights, (np.ndarray, list, tuple)):
            weights = _floats(module_or_weights, "weights")
            if self._layout is None:
                raise ValueError("a weight vector needs SweepPruner(..., layout=...); a torch module brings its own")
            layout = self._layout
        else:
            from .torch import flatten, layout_of
            layout = layout_of(module_or_weights)
            weights = _floats(flatten(module_or_weights), "weights")
        if self._handle is None:
            if trial.study.direction != optuna.study.StudyDirection.MAXIMIZE:
                raise ValueError("SweepPruner maximises its metric: create the study with direction='maximize'")
            self._open(layout)
        own_layout, keep = _c_layout(layout)  # segments of other lengths (a width swept) are checked by the library
        if weights.ndim != 1:
            raise ValueError("weights must be one vector")
        step = _step(step)
        values = dict(metrics)
        if self.metric not in values:
            raise ValueError("metrics must hold %r, the observed metric" % self.metric)
        values["test_accuracy"] = values.pop(self.metric)
        for name, v in values.items():
            if not isinstance(v, numbers.Real):
                raise ValueError("metrics: %s = %r is not a number" % (name, v))
        diverged = [name for name, v in values.items() if not math.isfinite(float(v))]
        if diverged:  # a diverged run: stopped and said so, never recorded as a checkpoint to learn from
            self._decisions[trial.number] = (step, True)
            trial.set_user_attr("dpa_diverged", {"step": step, "metrics": sorted(diverged)})
            trial.report(float(values["test_accuracy"]), step)
            return float("nan")
        text = json.dumps({k: float(v) for k, v in values.items()})
        hyper = json.dumps({k: _hyper_value(k, v) for k, v in trial.params.items()})
        name = "%s/%d" % (trial.study.study_name, trial.number)
        decide = self.n_warmup_steps <= step < self.epochs
        d = _host.SweepDecision()
        _host.check(_host.lib.dpa_host_sweep_report(self._handle, name.encode(), int(step), self.epochs, _ptr(weights),
                                                    weights.size, text.encode(), hyper.encode(), int(decide),
                                                    ctypes.byref(own_layout), ctypes.byref(d)))
        del keep
        self._decisions[trial.number] = (int(step), bool(d.stop))
        trial.report(float(d.score), int(step))
        return float(d.score)

    def prune(self, study, trial):
        step, stop = self._decisions.get(trial.number, (None, False))
        return stop and step == trial.last_step

    def state(self):
        """What the learner knows: fits, finished trials, per-step out-of-fold taus, trusted steps."""
        from . import _host
        if self._handle is None:
            return {"fits": 0, "finished": 0, "fit_trials": 0, "fitting": False, "trusted_steps": []}
        return self._fetch_json(_host.lib.dpa_host_sweep_state)

    def scores_at(self, step):
        """The score every trial that reached `step` has there now, {"study/number": score}: what
        the rule compares a new trial's score with (recomputed by each refit of the predictor;
        None for a diverged trial, which ranks last). Trials of other workers are those read so
        far."""
        from . import _host
        step = _step(step)
        if self._handle is None:
            return {}
        return self._fetch_json(lambda handle, out, size, needed:
                                _host.lib.dpa_host_sweep_scores(handle, step, out, size, needed))

    def model_bytes(self):
        """The learner's current predictor as the bytes of a .dpa model file (b"" before its first
        fit): save them to prune a later sweep of the same network with WeightsPruner."""
        from . import _host
        if self._handle is None:
            return b""
        buffer = self._fetch(_host.lib.dpa_host_sweep_model, ctypes.c_ubyte)
        return bytes(buffer)

    def _fetch_json(self, call):
        """The JSON text call writes (NUL-terminated), parsed."""
        return json.loads(bytes(self._fetch(call, ctypes.c_char)).rstrip(b"\0").decode())

    def _fetch(self, call, item):
        """What call writes into a caller's buffer; asked again when a refit in the background
        changed its size between the two calls."""
        from . import _host
        needed = ctypes.c_size_t()
        while True:
            size = needed.value
            buffer = (item * size)()
            status = call(self._handle, buffer if size else None, size, ctypes.byref(needed))
            if status == 0 and needed.value <= size:
                return buffer[:needed.value] if item is ctypes.c_ubyte else buffer.raw[:needed.value]
            if needed.value <= size:  # failed for another reason than the size
                _host.check(status)

    def wait(self):
        """Waits for a refit in the background to end (tests, and before reading state())."""
        from . import _host
        if self._handle is not None:
            _host.check(_host.lib.dpa_host_sweep_wait(self._handle))

    def close(self):
        from . import _host
        if self._handle is not None:
            _host.lib.dpa_host_sweep_close(self._handle)
            self._handle = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone
            pass
