"""SweepPruner: Optuna's percentile rule, deciding on the sweep learner's scores where the learner
trusts them (dpa.optuna re-exports it; docs/sweep-learner.md).

The rule is Optuna's own `PercentilePruner` (`MedianPruner` at 50), built with the same arguments
and called as it is. Where the learner does not trust its predictor at a step, the rule reads the
study as it is, so the decision is Optuna's, exactly. Where it does, the rule reads a view of the
study in which the trials' values at that step are the learner's scores (each recomputed by its
latest fit) and this trial's values are its scores so far. The study's intermediate values stay
the observed metric; each decision is recorded with the trial (user attributes, `explain()`)."""
import base64
import copy
import ctypes
import json
import math
import numbers
import os
import threading
import warnings

import numpy as np
import optuna
from optuna.pruners._percentile import _get_percentile_intermediate_result_over_trials, _is_first_in_interval_step
from optuna.trial import TrialState

from . import DpaWarning, Segment, _c_layout, _floats, _ptr, stats

# The trial's user attributes the pruner writes.
DECISIONS_ATTR = "dpa_decisions"  # one record per report: [step, observed, score, predicted, threshold, n, stop]
STOPPED_ATTR = "dpa_stopped"      # the deciding record of a stopped trial, with the trials compared with
DIVERGED_ATTR = "dpa_diverged"    # the step and metrics of a diverged trial
RECORD_FIELDS = ("step", "observed", "score", "predicted", "threshold", "compared", "stop")
# The checkpoint records in the study's storage (trial system attributes), the sweep's memory:
# {"s": the stored statistics (float32, little-endian, base64), "m": the metrics, "n": the
# network's weight count, "e": the planned last step}; and the study's layout.
CHECKPOINT_ATTR = "dpa:checkpoint:%d"
LAYOUT_ATTR = "dpa:layout"
STORED_SET = "extended"  # the statistics a statistics zoo stores (tools/zoo/stored_statistics.hpp)
REFIT_PRIORITIES = ("low", "idle", "normal")  # a background refit's thread (tools/sweep/sweep_learner.hpp)


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


def decisions(trial):
    """The decisions recorded with a trial (FrozenTrial), one dict per report: step, observed,
    score, predicted, threshold, compared, stop; the stopping one also names the trials it was
    compared with and the rule; a diverged trial's last one says so."""
    out = [dict(zip(RECORD_FIELDS, r)) for r in trial.user_attrs.get(DECISIONS_ATTR, [])]
    stopped = trial.user_attrs.get(STOPPED_ATTR)
    if stopped:
        for r in out:
            if r["step"] == stopped["step"]:
                r.update(stopped)
    if DIVERGED_ATTR in trial.user_attrs:
        out.append({"step": trial.user_attrs[DIVERGED_ATTR]["step"], "diverged": trial.user_attrs[DIVERGED_ATTR],
                    "stop": True})
    return out


def _hyper_json(params):
    """A trial's hyperparameters as the host library takes them (JSON bytes)."""
    return json.dumps({k: _hyper_value(k, v) for k, v in params.items()}).encode()


def checkpoint_record(stored):
    """A checkpoint record (CHECKPOINT_ATTR) as a dict: "s" the statistics (base64 float32), "m" the
    metrics, "n" the weight count, "e" the planned last step. Stored as one JSON text, so that
    Optuna's copies of a trial (two deep copies of its system attributes per should_prune()) copy
    one string per checkpoint. Records stored as the dict itself (earlier versions) read alike."""
    return json.loads(stored) if isinstance(stored, str) else stored


def checkpoint_row(record):
    """The stored statistics of a checkpoint record (checkpoint_record)."""
    return np.frombuffer(base64.b64decode(record["s"]), dtype="<f4").astype(np.float32)


def _finite_or_none(value):
    return float(value) if value is not None and math.isfinite(float(value)) else None


class _AtStep:
    """A trial as PercentilePruner reads it at one step: its number and its value there, if any."""
    __slots__ = ("number", "intermediate_values")

    def __init__(self, number, intermediate_values):
        self.number, self.intermediate_values = number, intermediate_values


class _CompletedAtStep:
    """A study's completed trials as PercentilePruner reads them at one step with the scores of
    one fit, kept from decision to decision: a completed trial's score at a step changes only with
    the fit, so a decision builds stand-ins only for the trials completed since the last one. A
    trial whose score is not there yet (NaN: its checkpoint not read) is read again at each
    decision, as if nothing were kept."""

    def __init__(self, fit):
        self.fit = fit
        self.seen = 0  # how many completed trials the study had at the last read
        self.numbers = set()  # those with a stand-in here
        self.standins = []
        self.pending = {}  # number -> trial: completed, its score not there yet
        self.lock = threading.Lock()  # study.optimize(n_jobs=N)


class _ScoreView:
    """What PercentilePruner.prune reads of a study (get_trials, direction) at one step, read once
    per decision (the rule and the record of its threshold read the same trials): the study's
    trials as they are, or with the learner's scores (score(number); NaN: none, the value as the
    study has it) as stand-ins, never copies of the trials; the completed trials' from `kept` (a
    _CompletedAtStep of this study, step and fit), where the last decision left them."""

    _NONE = {}

    def __init__(self, study, step, score=None, kept=None):
        self._study, self._step, self._score, self._kept = study, step, score, kept
        self.direction = study.direction
        self._read = {}

    def get_trials(self, deepcopy=False, states=None):
        key = None if states is None else tuple(states)
        if key not in self._read:
            trials = self._study.get_trials(deepcopy=False, states=states)
            if self._score is None:
                self._read[key] = trials
            elif self._kept is not None and key == (TrialState.COMPLETE,):
                self._read[key] = self._completed(trials)
            else:
                self._read[key] = [self._at_step(t)[0] for t in trials]
        return self._read[key]

    def _completed(self, trials):
        kept = self._kept
        with kept.lock:
            if len(trials) != kept.seen:  # trials complete for good: a count that moved means new ones
                for t in trials:
                    if t.number not in kept.numbers and t.number not in kept.pending:
                        kept.pending[t.number] = t
                kept.seen = len(trials)
            for number, t in list(kept.pending.items()):
                standin, final = self._at_step(t)
                if final:
                    kept.standins.append(standin)
                    kept.numbers.add(number)
                    del kept.pending[number]
            return kept.standins + [self._at_step(t)[0] for t in kept.pending.values()]

    def _at_step(self, t):
        """t's stand-in, and whether it is final (no score that may still come)."""
        value = t.intermediate_values.get(self._step)
        if value is None:
            return _AtStep(t.number, self._NONE), True
        score = self._score(t.number)
        if math.isnan(score):
            return _AtStep(t.number, {self._step: value}), False
        return _AtStep(t.number, {self._step: score}), True


class SweepPruner(optuna.pruners.BasePruner):
    """Prunes a sweep of your own network from its first trial, with no model file.

        pruner = dpa.optuna.SweepPruner("sweep-dir", epochs=20)   # MedianPruner's rule
        study = optuna.create_study(direction="maximize", pruner=pruner)
        def objective(trial):
            ...
            for epoch in range(1, 21):
                train_one_epoch()
                pruner.report(trial, epoch, net, {"test_accuracy": acc, "train_loss": loss})
                if trial.should_prune():
                    raise optuna.TrialPruned()

    report() records each checkpoint (the weights' statistics, the metrics, trial.params) in the
    statistics zoo in `directory` through the host library's sweep learner (tools/sweep), which
    refits a predictor of the final metric as trials finish, and reports the observed metric to
    Optuna as the intermediate value. prune() is Optuna's PercentilePruner(percentile,
    n_startup_trials, n_warmup_steps, interval_steps, n_min_trials=...) with Optuna's meaning of
    each argument (percentile=25 keeps the top 25 %; n_startup_trials counts completed trials);
    at a step where the learner's out-of-fold Kendall tau beats the observed metric's, the rule
    compares its scores instead of the observed values. Decisions are recorded with the trial
    (`explain(trial)`).

    audit: the fraction of trials never stopped (unbiased finals to learn from); history: zoos or
    Optuna studies of past sweeps of the same network; seed: the learner's folds, trees and audit
    choice. The study's storage is the sweep's memory: each report stores the checkpoint's record
    with the trial (a few KB), and before it decides each worker reads what the others stored, on
    any storage and any number of machines. `directory` (None: none) is a local statistics zoo of
    the checkpoints, shared by workers that share a file system; dpa.optuna.export_zoo(study, dir)
    writes the study's records as one. The metric is maximised; report() never waits for a
    refit (background=False: refits run inside report(), so that decisions depend on the seed and
    the trials alone). A background refit runs on one thread at `refit_priority` (Linux: "low",
    nice 19; "idle", only on a core nothing else wants; "normal", the caller's), so that the
    training beside it keeps its cores; it trains on at most `max_fit_rows` checkpoints (0: all),
    a hash-chosen share of every step's; one due while another runs starts when that one ends
    (state()["refits"] says what each cost, and which were late). Networks of one sweep have the
    same segments (count and kinds); their lengths may differ (a width among the hyperparameters).
    """

    def __init__(self, directory, epochs, percentile=50.0, n_startup_trials=5, n_warmup_steps=0, interval_steps=1,
                 *, n_min_trials=1, audit=0.0, history=(), seed=0, metric="test_accuracy", layout=None,
                 background=True, partial_curves=True, max_fit_rows=50000, refit_priority="low"):
        _whole("epochs", epochs, 1, 2 ** 32 - 1)
        _fraction("percentile", percentile, 100)
        _whole("n_startup_trials", n_startup_trials, 0, 2 ** 32 - 1)
        _whole("n_warmup_steps", n_warmup_steps, 0, 2 ** 32 - 1)
        _whole("interval_steps", interval_steps, 1, 2 ** 32 - 1)
        _whole("n_min_trials", n_min_trials, 1, 2 ** 32 - 1)
        _whole("seed", seed, 0, 2 ** 64 - 1)
        _fraction("audit", audit, 1)
        _whole("max_fit_rows", max_fit_rows, 0, 2 ** 32 - 1)
        if refit_priority not in REFIT_PRIORITIES:
            raise ValueError("refit_priority must be one of %s, got %r" % (", ".join(REFIT_PRIORITIES), refit_priority))
        if percentile != 50:
            warnings.warn("SweepPruner(percentile=%g) keeps the top %g %% of the trials, as Optuna's PercentilePruner "
                          "does (dpa 0.2 stopped the trials below the %g-th percentile)" % (percentile, percentile,
                                                                                              percentile),
                          DpaWarning, stacklevel=2)
        if isinstance(history, (str, os.PathLike, optuna.Study)):
            history = [history]
        self._exported = []  # past studies exported as zoos, kept while the pruner lives
        history = [self._history_zoo(h) for h in history]
        for h in history:
            if not os.path.isfile(os.path.join(h, "layout.csv")):
                raise ValueError("history: %s is not a zoo directory (no layout.csv there)" % h)
        self.directory = None if directory is None else os.fspath(directory)
        self.epochs = int(epochs)
        self.metric = metric
        self.percentile = float(percentile)
        self.rule = optuna.pruners.PercentilePruner(self.percentile, n_startup_trials, n_warmup_steps, interval_steps,
                                                    n_min_trials=n_min_trials)
        self._n_startup_trials, self._n_warmup_steps, self._interval_steps = n_startup_trials, n_warmup_steps, \
            interval_steps
        self._n_min_trials = n_min_trials
        self._options = {"startup": 0, "audit": float(audit), "seed": int(seed), "history": history,
                         "background": bool(background), "partial_curves": bool(partial_curves),
                         "max_fit_rows": int(max_fit_rows), "refit_priority": refit_priority}
        self._layout = None if layout is None else [s if isinstance(s, Segment) else Segment(*s) for s in layout]
        self._handle = None
        self._opening = threading.Lock()  # study.optimize(n_jobs=N): one handle for all threads
        self._reports = {}  # trial number -> {step: (observed, score, predicted, audit)}
        self._records = {}  # trial number -> its decision records, as written to its user attributes
        self._fed = {}  # trial number -> steps of its records the learner has (trials not settled yet)
        # study id -> [n, numbers]: the study's trials numbered below n, and those numbered in
        # `numbers`, are settled (finished and fed): _sync never reads them again.
        self._settled = {}
        self._completed = {}  # (study name, step) -> _CompletedAtStep
        self._stopped = set()  # trial numbers the learner was told were stopped
        self._syncing = threading.Lock()
        self._layout_stored = False

    def _history_zoo(self, past):
        """A history zoo's directory: a zoo's own, or a past study's records exported to one."""
        if not isinstance(past, optuna.Study):
            return os.fspath(past)
        import tempfile
        from .sweep import export_zoo
        exported = tempfile.TemporaryDirectory(prefix="dpa-history-")
        self._exported.append(exported)
        export_zoo(past, os.path.join(exported.name, "zoo"))
        return os.path.join(exported.name, "zoo")

    # ---- recording ------------------------------------------------------------------------------

    def _open(self, layout):
        from . import _host
        with self._opening:
            if self._handle is not None:
                return
            self._c_layout, self._keep = _c_layout(layout)
            if self.directory:  # its parents too, as a user expects of "runs/sweep-1"
                os.makedirs(os.path.dirname(os.path.abspath(self.directory)), exist_ok=True)
            handle = ctypes.c_void_p()
            _host.check(_host.lib.dpa_host_sweep_open((self.directory or "").encode(), ctypes.byref(self._c_layout),
                                                      json.dumps(self._options).encode(), ctypes.byref(handle)))
            self._layout = self._layout or layout
            self._handle = handle

    def _weights(self, module_or_weights):
        if isinstance(module_or_weights, (np.ndarray, list, tuple)):
            weights = _floats(module_or_weights, "weights")
            if self._layout is None:
                raise ValueError("a weight vector needs SweepPruner(..., layout=...); a torch module brings its own")
            return weights, self._layout
        from .torch import flatten, layout_of
        return _floats(flatten(module_or_weights), "weights"), layout_of(module_or_weights)

    def _metrics(self, metrics):
        values = dict(metrics)
        if self.metric not in values:
            raise ValueError("metrics must hold %r, the observed metric" % self.metric)
        values["test_accuracy"] = values.pop(self.metric)
        for name, v in values.items():
            if not isinstance(v, numbers.Real):
                raise ValueError("metrics: %s = %r is not a number" % (name, v))
        return values

    def report(self, trial, step, module_or_weights, metrics):
        """Records the trial's checkpoint at `step` and reports the observed metric to Optuna as
        the trial's intermediate value. metrics: the observed metric (`metric`, e.g.
        test_accuracy) and the same other numbers at every report (train_loss, ...).
        Hyperparameters come from trial.params. Returns the learner's score (the observed metric
        where it does not trust its predictor at this step)."""
        from . import _host
        step = _step(step)
        weights, layout = self._weights(module_or_weights)
        if weights.ndim != 1:
            raise ValueError("weights must be one vector")
        own_layout, keep = _c_layout(layout)  # segments of other lengths (a width swept) are checked by the library

        def record(name, text, hyper, decision):
            return _host.lib.dpa_host_sweep_report(self._handle, name, step, self.epochs, _ptr(weights), weights.size,
                                                   text, hyper, 0, ctypes.byref(own_layout), decision)
        # The storage's record holds the runtime's statistics of the weights, as the library's row.
        row = lambda: stats(weights, layout, STORED_SET).ravel()  # noqa: E731
        score = self._report(trial, step, layout, metrics, record, row, weights.size)
        del keep
        return score

    def report_statistics(self, trial, step, statistics, metrics, num_weights):
        """report() with the checkpoint's statistics already computed: a row of the stored
        statistics (a statistics zoo's row, `dpa zoo stats`) of a network of num_weights weights.
        For replays of recorded zoos through the live code (scripts/sweep-live-replay.py); needs
        SweepPruner(..., layout=...)."""
        from . import _host
        step = _step(step)
        if self._layout is None:
            raise ValueError("report_statistics needs SweepPruner(..., layout=...): the network's segments")
        row = _floats(statistics, "statistics")
        _whole("num_weights", num_weights, 1, 2 ** 63)

        def record(name, text, hyper, decision):
            return _host.lib.dpa_host_sweep_report_statistics(self._handle, name, step, self.epochs, _ptr(row),
                                                              row.size, int(num_weights), text, hyper, 0, decision)
        return self._report(trial, step, self._layout, metrics, record, lambda: row, int(num_weights))

    def _report(self, trial, step, layout, metrics, record, row, num_weights):
        """The checks, the diverged case and the bookkeeping of both reports; `record` calls the
        host library; row() is the checkpoint's stored statistics, for the study's storage."""
        from . import _host
        if self._handle is None:
            if trial.study.direction != optuna.study.StudyDirection.MAXIMIZE:
                raise ValueError("SweepPruner maximises its metric: create the study with direction='maximize'")
            self._open(layout)
        step = _step(step)
        values = self._metrics(metrics)
        observed = float(values["test_accuracy"])
        self._study = trial.study
        diverged = [name for name, v in values.items() if not math.isfinite(float(v))]
        if diverged:  # stopped and said so, never recorded as a checkpoint to learn from
            self._reports.setdefault(trial.number, {})[step] = (observed, float("nan"), False, False)
            trial.set_user_attr(DIVERGED_ATTR, {"step": step, "metrics": sorted(diverged)})
            trial.report(observed, step)
            return float("nan")
        self._sync(trial.study)
        text = json.dumps({k: float(v) for k, v in values.items()}).encode()
        hyper = _hyper_json(trial.params)
        d = _host.SweepDecision()
        _host.check(record(self._name(trial.study, trial.number).encode(), text, hyper, ctypes.byref(d)))
        self._fed.setdefault(trial.number, set()).add(step)
        self._store(trial, step, row(), values, num_weights)
        self._reports.setdefault(trial.number, {})[step] = (observed, float(d.score), bool(d.predicted),
                                                            bool(d.audit))
        trial.report(observed, step)
        return float(d.score)

    @staticmethod
    def _name(study, number):
        return "%s/%d" % (study.study_name, number)

    # ---- the study's storage: the sweep's memory ------------------------------------------------

    def _store(self, trial, step, row, values, num_weights):
        """The checkpoint's record with the trial, in the study's storage: every worker reads it."""
        storage = trial.study._storage
        record = {"s": base64.b64encode(np.asarray(row, dtype="<f4").tobytes()).decode("ascii"),
                  "m": {k: float(v) for k, v in values.items()}, "n": int(num_weights), "e": self.epochs}
        storage.set_trial_system_attr(trial._trial_id, CHECKPOINT_ATTR % step,
                                      json.dumps(record, separators=(",", ":")))
        if not self._layout_stored:  # once per pruner: reading the study's attributes is a query
            study_id = trial.study._study_id
            if LAYOUT_ATTR not in storage.get_study_system_attrs(study_id):
                try:
                    storage.set_study_system_attr(study_id, LAYOUT_ATTR,
                                                  [[s.offset, s.length, s.kind] for s in self._layout])
                except Exception:  # another worker stored it between the read and the write (a unique key)
                    if LAYOUT_ATTR not in storage.get_study_system_attrs(study_id):
                        raise
            self._layout_stored = True

    def sync(self, study):
        """Reads what other workers stored in the study since the last look (report() does before
        each decision); afterwards state() counts every finished trial of the study."""
        if self._handle is not None:
            self._sync(study)

    def _tell_stopped(self, study, number):
        from . import _host
        if number not in self._stopped:
            self._stopped.add(number)
            _host.check(_host.lib.dpa_host_sweep_stopped(self._handle, self._name(study, number).encode()))

    def _sync(self, study):
        """What other workers stored since the last look, fed to the learner: their checkpoints
        (of trials that did not fail: a killed worker's trial is never learnt from unless it
        finished) and which trials were pruned."""
        with self._syncing:
            settled = self._settled.setdefault(study._study_id, [0, set()])
            trials = study._storage.get_all_trials(study._study_id, deepcopy=False)  # sorted by number
            below = settled[0]
            # Numbers are the positions (0, 1, ...) in every storage Optuna has; read them all if not.
            start = below if len(trials) >= below and (below == 0 or trials[below - 1].number == below - 1) else 0
            for t in trials[start:]:
                if t.number < below or t.number in settled[1]:
                    continue
                if t.state != TrialState.FAIL:
                    self._feed(study, t)
                if t.state.is_finished():  # nothing is stored with a finished trial any more
                    settled[1].add(t.number)
                    self._forget(t.number)
            while settled[0] in settled[1]:
                settled[1].discard(settled[0])
                settled[0] += 1

    def _feed(self, study, t):
        """A trial's records the learner does not have yet, and whether it was pruned."""
        from . import _host
        fed = self._fed.setdefault(t.number, set())
        name = None
        for key, stored in t.system_attrs.items():
            if not key.startswith("dpa:checkpoint:"):
                continue
            step = int(key[len("dpa:checkpoint:"):])
            if step in fed:
                continue
            fed.add(step)
            record = checkpoint_record(stored)
            name = name or self._name(study, t.number).encode()
            row = checkpoint_row(record)
            new = ctypes.c_int32()
            _host.check(_host.lib.dpa_host_sweep_observe_statistics(
                self._handle, name, step, int(record["e"]), _ptr(row), row.size, int(record["n"]),
                json.dumps(record["m"]).encode(), _hyper_json(t.params), ctypes.byref(new)))
        if t.state == TrialState.PRUNED:
            self._tell_stopped(study, t.number)

    def _forget(self, number):
        """A settled trial's bookkeeping: a long sweep's memory stays that of its running trials."""
        for book in (self._fed, self._reports, self._records):
            book.pop(number, None)
        self._stopped.discard(number)

    # ---- deciding -------------------------------------------------------------------------------

    def prune(self, study, trial):
        step = trial.last_step
        if step is None:
            return False
        reported = self._reports.get(trial.number, {}).get(step)
        if reported is None:  # reported without this pruner: Optuna's rule on the study as it is
            return self.rule.prune(study, trial)
        observed, score, predicted, audit = reported
        if math.isnan(score) and trial.user_attrs.get(DIVERGED_ATTR, {}).get("step") == step:
            self._record(trial, study, step, observed, score, False, math.nan, [], True)
            return True
        view, view_trial = _ScoreView(study, step), trial
        if predicted:
            score, fit = self._scores_at_step(study, step, trial.number)
            view = _ScoreView(study, step, score, self._completed_at(study, step, fit))
            view_trial = copy.copy(trial)
            own = self._reports.get(trial.number, {})
            view_trial.intermediate_values = {s: own[s][1] if s in own else v
                                              for s, v in trial.intermediate_values.items()}
        stop = bool(self.rule.prune(view, view_trial)) and not audit
        if stop:
            self._tell_stopped(study, trial.number)
        completed = view.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        compared = [t for t in completed if step in t.intermediate_values]
        threshold = math.nan
        if completed and len(compared) >= self._n_min_trials:
            threshold = _get_percentile_intermediate_result_over_trials(completed, view.direction, step,
                                                                        self.percentile, self._n_min_trials)
        checked = (len(completed) >= max(1, self._n_startup_trials) and step >= self._n_warmup_steps and
                   _is_first_in_interval_step(step, trial.intermediate_values.keys(), self._n_warmup_steps,
                                              self._interval_steps) and not audit)
        self._record(trial, study, step, observed, view_trial.intermediate_values[step], predicted,
                     threshold if checked else math.nan, [t.number for t in compared] if checked else [], stop)
        return stop

    def _completed_at(self, study, step, fit):
        """The study's completed trials at `step` with the scores of `fit`, as the last decision
        there left them (only the latest fit's are kept)."""
        key = (study.study_name, step)  # as the learner names trials: study name and number
        kept = self._completed.get(key)
        if kept is None or kept.fit != fit:
            kept = self._completed[key] = _CompletedAtStep(fit)
        return kept

    def _scores_at_step(self, study, step, number):
        """number -> the learner's score of that trial of this study at `step` (NaN: none yet), and
        the fit (trial `number`'s own fit is the current one). A score changes only with the fit:
        _CompletedAtStep asks once per completed trial and fit."""
        return (lambda other: self._score_of(study, other, step)[0]), self._score_of(study, number, step)[1]

    def _score_of(self, study, number, step):
        from . import _host
        score, fit = ctypes.c_float(), ctypes.c_uint32()
        _host.check(_host.lib.dpa_host_sweep_score(self._handle, self._name(study, number).encode(), step,
                                                   ctypes.byref(score), ctypes.byref(fit)))
        return score.value, fit.value

    def _record(self, trial, study, step, observed, score, predicted, threshold, compared, stop):
        """Writes the decision with the trial (study storage): every worker and explain() read it."""
        record = [step, _finite_or_none(observed), _finite_or_none(score), bool(predicted),
                  _finite_or_none(threshold), len(compared), bool(stop)]
        records = self._records.setdefault(trial.number, [])
        records[:] = [r for r in records if r[0] != step] + [record]
        study._storage.set_trial_user_attr(trial._trial_id, DECISIONS_ATTR, list(records))
        if stop:
            detail = dict(zip(RECORD_FIELDS, record))
            detail.update({"rule": "PercentilePruner(%g)" % self.percentile, "compared_trials": sorted(compared)})
            study._storage.set_trial_user_attr(trial._trial_id, STOPPED_ATTR, detail)

    def explain(self, trial):
        """The decisions recorded with a trial (a FrozenTrial, or its number in the study this
        pruner decided for), one dict per report: step, observed (the metric), score (what the
        rule compared), predicted (the score is the learner's, else the observed metric),
        threshold (Optuna's percentile of the completed trials' values at the step; None: not
        checked there), compared (how many), stop; the stopping one also names the trials it was
        compared with and the rule."""
        if isinstance(trial, numbers.Integral):
            if self._study is None:
                raise ValueError("explain(number) needs a study this pruner decided for; pass the FrozenTrial")
            trial = self._study.get_trials(deepcopy=False)[trial]  # numbers are positions; no copies of them all
        return decisions(trial)

    _study = None

    # ---- the learner ----------------------------------------------------------------------------

    def state(self):
        """What the learner knows: fits, finished trials, per-step out-of-fold taus, trusted steps,
        and what each refit cost (refits: trials, rows, fit_rows, wall_seconds, cpu_seconds, late)."""
        from . import _host
        if self._handle is None:
            return {"fits": 0, "finished": 0, "fit_trials": 0, "fitting": False, "trusted_steps": [], "refits": []}
        return self._fetch_json(_host.lib.dpa_host_sweep_state)

    def scores_at(self, step):
        """The score every trial that reached `step` has there now, {"study/number": score}: what
        the rule compares where the learner trusts itself (recomputed by each refit; None for a
        diverged trial, which ranks last). Trials of other workers are those read so far."""
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
