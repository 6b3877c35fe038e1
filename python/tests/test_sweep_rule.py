"""SweepPruner speaks Optuna: on recorded curves where the learner never trusts its predictor,
its decisions are Optuna's PercentilePruner's (MedianPruner's at 50) with the same arguments,
trial for trial and step for step; the intermediate values are the observed metric; every
decision is recorded with its trial and explained."""
import math
import warnings

import numpy as np
import pytest

optuna = pytest.importorskip("optuna", reason="Debian python3-optuna is not installed: SweepPruner is untested here")

import dpa  # noqa: E402
import dpa.optuna  # noqa: E402

LAYOUT = [dpa.Segment(0, 4, "bias"), dpa.Segment(4, 16, "kernel")]
STEPS = 8
# A shape shared by every curve, with a dip: a trial's best value so far is not its last one.
SHAPE = np.array([0.30, 0.55, 0.45, 0.70, 0.65, 0.85, 0.80, 0.95, 1.0])


def curves(n, seed):
    """n recorded runs: the observed metric at each step is the run's quality times a shape all
    runs share, so at every step it ranks the finals exactly and no predictor can beat it."""
    rng = np.random.default_rng(seed)
    quality = rng.uniform(0.2, 0.9, n)
    return [(q, q * SHAPE) for q in quality]


def replay(pruner, runs, seed):
    """Each recorded run as a trial, in order; returns (state, last step) per trial."""
    study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(seed))
    rng = np.random.default_rng(seed)
    for quality, curve in runs:
        trial = study.ask({"lr": optuna.distributions.FloatDistribution(0, 1)})
        pruned = False
        for step in range(STEPS + 1):
            if isinstance(pruner, dpa.optuna.SweepPruner):
                weights = rng.normal(0, 0.1, 20).astype(np.float32)  # noise: nothing to learn from
                pruner.report(trial, step, weights, {"test_accuracy": float(curve[step])})
            else:
                trial.report(float(curve[step]), step)
            if trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                pruned = True
                break
        if not pruned:
            study.tell(trial, float(curve[STEPS]))
    return study


@pytest.mark.parametrize("percentile, startup, warmup, interval, min_trials", [
    (50, 5, 0, 1, 1), (25, 3, 1, 1, 1), (75, 5, 2, 2, 3), (90, 0, 0, 3, 1)])
def test_untrusted_decisions_are_optunas(tmp_path, percentile, startup, warmup, interval, min_trials):
    runs = curves(60, seed=percentile)
    rule = optuna.pruners.PercentilePruner(percentile, startup, warmup, interval, n_min_trials=min_trials)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pruner = dpa.optuna.SweepPruner(tmp_path / "sweep", epochs=STEPS, percentile=percentile,
                                        n_startup_trials=startup, n_warmup_steps=warmup, interval_steps=interval,
                                        n_min_trials=min_trials, layout=LAYOUT, background=False)
    assert sum(issubclass(w.category, dpa.DpaWarning) for w in caught) == (percentile != 50)
    ours, theirs = replay(pruner, runs, 0), replay(rule, runs, 0)
    assert pruner.state()["fits"] >= 1 and pruner.state()["trusted_steps"] == []
    decisions = [(t.state, t.last_step) for t in ours.trials]
    assert decisions == [(t.state, t.last_step) for t in theirs.trials]
    assert 0 < sum(t.state == optuna.trial.TrialState.PRUNED for t in ours.trials) < len(runs)
    # The intermediate values are the observed metric, nothing else.
    assert [t.intermediate_values for t in ours.trials] == [t.intermediate_values for t in theirs.trials]


def test_median_is_the_default_and_other_percentiles_warn_once_of_the_change(tmp_path):
    with pytest.warns(dpa.DpaWarning, match="keeps the top 25 %"):
        dpa.optuna.SweepPruner(tmp_path / "a", epochs=2, percentile=25)
    pruner = dpa.optuna.SweepPruner(tmp_path / "b", epochs=2)
    assert isinstance(pruner.rule, optuna.pruners.PercentilePruner) and pruner.percentile == 50


def test_each_decision_is_recorded_and_explained(tmp_path):
    runs = curves(30, seed=7)
    pruner = dpa.optuna.SweepPruner(tmp_path / "sweep", epochs=STEPS, n_startup_trials=3, layout=LAYOUT,
                                    background=False)
    study = replay(pruner, runs, 1)
    stopped = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert stopped
    t = stopped[0]
    records = pruner.explain(t.number)
    assert [r["step"] for r in records] == sorted(t.intermediate_values)
    last = records[-1]
    assert last["stop"] and last["observed"] == pytest.approx(t.intermediate_values[last["step"]])
    assert last["predicted"] is False and last["score"] == last["observed"]
    # The threshold is Optuna's: the median of the completed trials' values at that step.
    completed = [u for u in study.trials if u.state == optuna.trial.TrialState.COMPLETE and u.number < t.number
                 and last["step"] in u.intermediate_values]
    assert sorted(last["compared_trials"]) == sorted(u.number for u in completed)
    assert last["threshold"] == pytest.approx(np.percentile([u.intermediate_values[last["step"]] for u in completed],
                                                            50))
    assert max(v for s, v in t.intermediate_values.items()) < last["threshold"]
    # Kept trials' records say so; steps before the startup trials completed were not checked.
    first = pruner.explain(study.trials[0])
    assert all(r["threshold"] is None and not r["stop"] for r in first)
    assert all(not math.isnan(r["score"]) for r in first)


def test_where_the_learner_trusts_itself_the_rule_compares_its_scores(tmp_path):
    # The final value is the learning rate's; the observed metric is a noisy view of it until the
    # last step, while the kernel's spread tells it exactly: the learner earns trust.
    pruner = dpa.optuna.SweepPruner(tmp_path / "sweep", epochs=3, percentile=90, n_startup_trials=5, layout=LAYOUT,
                                    background=False, audit=0.5)
    study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(0))
    rng = np.random.default_rng(2)
    for _ in range(80):
        trial = study.ask({"lr": optuna.distributions.FloatDistribution(0, 1)})
        final = trial.params["lr"]
        for step in range(4):
            weights = np.concatenate([rng.normal(0, 0.1, 4), rng.normal(0, 0.05 + final, 16)]).astype(np.float32)
            observed = final if step == 3 else float(np.clip(final + rng.normal(0, 0.3), 0, 1))
            pruner.report(trial, step, weights, {"test_accuracy": observed})
            if trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                break
        else:
            study.tell(trial, final)
    assert pruner.state()["trusted_steps"]
    records = [r for t in study.trials for r in pruner.explain(t)]
    predicted = [r for r in records if r["predicted"]]
    assert predicted and all(r["observed"] is not None for r in predicted)
    assert sum(r["score"] != r["observed"] for r in predicted) >= len(predicted) // 2
    # The intermediate values stay the observed metric where the score was predicted.
    for t in study.trials:
        for r in pruner.explain(t):
            assert t.intermediate_values[r["step"]] == pytest.approx(r["observed"])


def test_a_study_read_back_from_its_storage_explains_and_draws(tmp_path):
    import json
    import subprocess
    import sys
    storage = "sqlite:///%s" % (tmp_path / "study.db")
    pruner = dpa.optuna.SweepPruner(tmp_path / "sweep", epochs=STEPS, n_startup_trials=3, layout=LAYOUT,
                                    background=False)
    study = optuna.create_study(study_name="s", storage=storage, direction="maximize", pruner=pruner)
    rng = np.random.default_rng(3)
    for quality, curve in curves(20, seed=5):
        trial = study.ask()
        for step in range(1, STEPS + 1):
            pruner.report(trial, step, rng.normal(0, 0.1, 20).astype(np.float32), {"test_accuracy": float(curve[step])})
            if step < STEPS and trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                break
        else:
            study.tell(trial, float(curve[STEPS]))
    stopped = next(t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED)

    def sweep(*args):
        return subprocess.run([sys.executable, "-m", "dpa.sweep", *args], check=True, capture_output=True,
                              text=True).stdout
    text = sweep("explain", storage, "s", str(stopped.number))
    assert "trial %d: pruned" % stopped.number in text and "stopped (PercentilePruner(50)" in text
    every = json.loads(sweep("explain", storage, "s", "--json"))
    assert every[str(stopped.number)]["decisions"] == pruner.explain(stopped.number)
    assert len(every) == 20
    sweep("draw", storage, "s", "-o", str(tmp_path / "sweep.svg"))
    svg = (tmp_path / "sweep.svg").read_text()
    assert svg.count("<polyline") == 20 and svg.count("<path") == sum(
        t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    bad = subprocess.run([sys.executable, "-m", "dpa.sweep", "explain", storage, "nope"], capture_output=True,
                         text=True)
    assert bad.returncode != 0 and "no study named 'nope'" in bad.stderr


def test_the_completed_trials_kept_between_decisions_are_those_read_afresh():
    # A decision on the learner's scores reads the completed trials' stand-ins where the last
    # decision at the step left them (_CompletedAtStep): trials completing out of order, one whose
    # score is not there yet (NaN) and comes later, and a new fit must read as a fresh view does.
    from dpa._sweep import _CompletedAtStep, _ScoreView
    TrialState = optuna.trial.TrialState
    storage = optuna.storages.InMemoryStorage()
    study = optuna.create_study(storage=storage, direction="maximize")
    running = [study.ask() for _ in range(8)]
    for t in running:
        t.report(0.1 * t.number, 2)
    scores = {n: 0.5 + 0.01 * n for n in range(8)}
    scores[3] = math.nan  # its checkpoint not read yet
    score = lambda fit: (lambda n: scores[n] + fit)  # noqa: E731

    def read(view):
        return sorted((t.number, t.intermediate_values.get(2)) for t in
                      view.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))

    kept = _CompletedAtStep(fit=0)
    for order, fit in (((5, 1), 0), ((3, 0), 0), ((), 0), ((7,), 0), ((2, 4, 6), 1)):
        for n in order:
            study.tell(running[n], 1.0)
        if fit != kept.fit:
            kept = _CompletedAtStep(fit)
        if order == ():
            scores[3] = 0.9  # read since
        fresh = read(_ScoreView(study, 2, score(fit)))
        assert read(_ScoreView(study, 2, score(fit), kept)) == fresh
        assert len(fresh) == len(study.get_trials(states=(TrialState.COMPLETE,)))
    assert dict(fresh)[3] == 0.9 + 1 and dict(fresh)[0] == 0.5 + 1


def test_completed_trials_kept_between_decisions_hold_under_threads():
    # study.optimize(n_jobs=N) decides in several threads on one pruner: threads reading the kept
    # stand-ins while trials complete add each trial once, and end where a fresh view is.
    import threading
    from dpa._sweep import _CompletedAtStep, _ScoreView
    study = optuna.create_study(direction="maximize")
    running = [study.ask() for _ in range(120)]
    for t in running:
        t.report(0.5, 1)
    score = lambda n: 0.001 * n  # noqa: E731
    kept, errors = _CompletedAtStep(fit=1), []

    def read(view):
        return sorted((t.number, t.intermediate_values.get(1))
                      for t in view.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))

    told = threading.Event()

    def decide():
        try:
            while not told.is_set():  # decisions all the while trials complete
                read(_ScoreView(study, 1, score, kept))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=decide) for _ in range(4)]
    for th in threads:
        th.start()
    for t in running:
        study.tell(t, 1.0)
    told.set()
    for th in threads:
        th.join()
    assert not errors
    assert read(_ScoreView(study, 1, score, kept)) == read(_ScoreView(study, 1, score)) == \
        [(n, 0.001 * n) for n in range(120)]
    assert len(kept.standins) == len(kept.numbers) == 120
