"""dpa.optuna: a pruner that reads predictions from the study's storage."""
import numpy as np
import pytest

optuna = pytest.importorskip("optuna", reason="Debian python3-optuna is not installed: dpa.optuna is untested here")

import dpa  # noqa: E402
import dpa.optuna  # noqa: E402
from test_core import mini_zoo  # noqa: E402


def test_weights_pruner_stops_the_runs_predicted_worst(models):
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    model = dpa.Model(models["final"])
    weights, rows = mini_zoo()
    finals = np.array([float(r["test_accuracy"]) for r in rows])
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=1),
                                pruner=dpa.optuna.WeightsPruner(model, percentile=50, n_startup_trials=5))
    outcome = {}

    def objective(trial):
        k = trial.suggest_int("network", 0, len(rows) - 1)
        predicted = dpa.optuna.report(trial, 1, weights[k], model, {"config.optimizer": rows[k]["config.optimizer"]})
        assert predicted == model.predict(weights[k], {"step": 1, "config.optimizer": rows[k]["config.optimizer"]})
        outcome[trial.number] = (k, trial.should_prune())
        if outcome[trial.number][1]:
            raise optuna.TrialPruned()
        return finals[k]

    study.optimize(objective, n_trials=40)
    pruned = [k for k, stop in outcome.values() if stop]
    kept = [k for k, stop in outcome.values() if not stop]
    assert 10 <= len(pruned) <= 30
    assert np.mean(finals[kept]) > np.mean(finals[pruned])  # it stops the worse networks
    with pytest.raises(ValueError, match="final accuracy"):
        dpa.optuna.WeightsPruner(dpa.Model(models["weights"]))


def test_weights_pruner_reads_gaps_and_percentiles_as_the_runtime_does(models):
    """max_gap <= 0 is off (as dpa_early_stop reads it); the default percentile is the median's."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    model = dpa.Model(models["final"])
    weights, rows = mini_zoo()
    assert dpa.optuna.WeightsPruner(model).percentile == 50.0
    for gap in (0, -0.1):
        study = optuna.create_study(direction="maximize",
                                    pruner=dpa.optuna.WeightsPruner(model, percentile=None, max_gap=gap))
        pruned = 0
        for k in range(12):
            trial = study.ask()
            dpa.optuna.report(trial, 1, list(weights[k]), model, {"config.optimizer": rows[k]["config.optimizer"]})
            pruned += trial.should_prune()
            study.tell(trial, 0.5)
        assert pruned == 0
