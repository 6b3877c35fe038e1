"""SweepPruner and the host library under odd inputs and threads (docs/hostile-inputs.md): options
checked at construction, one sweep handle under study.optimize(n_jobs=4), a hyperparameter named
like a column the zoo needs, a diverged metric, the same decisions whatever Optuna names the
study, the C ABI's buffer messages, recurrent layers' kernels."""
import ctypes
import json
import os
import threading
import time

import numpy as np
import pytest

optuna = pytest.importorskip("optuna", reason="Debian python3-optuna is not installed: SweepPruner is untested here")
torch = pytest.importorskip("torch", reason="Debian python3-torch is not installed: SweepPruner is untested here")

import dpa  # noqa: E402
import dpa.optuna  # noqa: E402
import dpa.torch  # noqa: E402
from dpa import _host  # noqa: E402

LAYOUT = [dpa.Segment(0, 4, "bias"), dpa.Segment(4, 16, "kernel")]


@pytest.mark.parametrize("option, value", [("n_startup_trials", -1), ("n_startup_trials", 2 ** 40), ("seed", -1),
                                           ("percentile", 150), ("percentile", float("nan")), ("n_warmup_steps", -2),
                                           ("audit", 2), ("epochs", 0), ("n_startup_trials", 2.5),
                                           ("max_fit_rows", -1), ("refit_priority", "lowest")])
def test_options_are_checked_at_construction(tmp_path, option, value):
    options = {"epochs": 4, option: value}
    with pytest.raises(ValueError, match=option):
        dpa.optuna.SweepPruner(tmp_path / "sweep", layout=LAYOUT, **options)
    assert not os.path.exists(tmp_path / "sweep")


def test_a_missing_history_zoo_is_refused_at_construction(tmp_path):
    with pytest.raises(ValueError, match="history"):
        dpa.optuna.SweepPruner(tmp_path / "sweep", epochs=4, history=str(tmp_path / "nowhere"))


def test_the_c_abi_checks_options_before_making_the_directory(tmp_path):
    layout, keep = dpa._c_layout(LAYOUT)
    handle = ctypes.c_void_p()
    for options, message in [({"percentile": 150}, "percentile"), ({"startup": -1}, "startup"),
                             ({"seed": -1}, "seed"), ({"history": [str(tmp_path / "nowhere")]}, "nowhere"),
                             ({"percentile": 50, "typo": 1}, "typo"), ({"refit_priority": 19}, "refit_priority"),
                             ({"max_fit_rows": 1.5}, "max_fit_rows")]:
        status = _host.lib.dpa_host_sweep_open(str(tmp_path / "sweep").encode(), ctypes.byref(layout),
                                               json.dumps(options).encode(), ctypes.byref(handle))
        assert status != 0 and message in _host.lib.dpa_host_last_error().decode()
        assert not os.path.exists(tmp_path / "sweep")
    del keep


def test_a_null_buffer_with_a_size_is_named(tmp_path):
    layout, keep = dpa._c_layout(LAYOUT)
    handle = ctypes.c_void_p()
    _host.check(_host.lib.dpa_host_sweep_open(str(tmp_path / "sweep").encode(), ctypes.byref(layout), b"{}",
                                              ctypes.byref(handle)))
    needed = ctypes.c_size_t()
    assert _host.lib.dpa_host_sweep_state(handle, None, 100, ctypes.byref(needed)) != 0
    assert "NULL" in _host.lib.dpa_host_last_error().decode()
    _host.lib.dpa_host_sweep_close(handle)
    del keep


def _objective(pruner, rng_seed=0):
    def objective(trial):
        rng = np.random.default_rng(trial.number + rng_seed)
        quality = trial.suggest_float("lr", 0.0, 1.0)
        for step in range(4):
            weights = rng.normal(0, 0.1 + quality * step, 20).astype(np.float32)
            accuracy = quality * (0.4 + 0.2 * step) + rng.normal(0, 0.05)
            pruner.report(trial, step, weights, {"test_accuracy": accuracy, "train_loss": 1 - quality})
            if trial.should_prune():
                raise optuna.TrialPruned()
        return accuracy
    return objective


def test_one_sweep_handle_under_n_jobs(tmp_path, monkeypatch):
    opened = []
    real_open = _host.lib.dpa_host_sweep_open

    def slow_open(*args):
        opened.append(threading.get_ident())
        time.sleep(0.2)  # widens the window in which other threads would open their own
        return real_open(*args)

    monkeypatch.setattr(_host.lib, "dpa_host_sweep_open", slow_open)
    pruner = dpa.optuna.SweepPruner(tmp_path / "sweep", epochs=3, layout=LAYOUT)
    study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(_objective(pruner), n_trials=16, n_jobs=4)
    assert len(opened) == 1
    rows = len(open(tmp_path / "sweep" / "metrics.jsonl").readlines())
    assert rows == sum(len(t.intermediate_values) for t in study.trials)
    assert len(pruner.scores_at(0)) == 16


@pytest.mark.parametrize("epochs_value", [3, "long"])
def test_a_hyperparameter_named_epochs_keeps_its_own_column(tmp_path, epochs_value):
    pruner = dpa.optuna.SweepPruner(tmp_path / "sweep", epochs=2, layout=LAYOUT)
    study = optuna.create_study(direction="maximize", pruner=pruner)
    trial = study.ask()
    trial.suggest_categorical("epochs", [epochs_value])
    trial.suggest_int("random_seed", 7, 7)
    for step in range(3):
        pruner.report(trial, step, np.full(20, 0.1 * step, np.float32), {"test_accuracy": 0.5})
    lines = [json.loads(line) for line in open(tmp_path / "sweep" / "metrics.jsonl")]
    assert [line["config.epochs"] for line in lines] == [2, 2, 2]  # the pruner's planned last step
    assert all(line["config.hyper.epochs"] == epochs_value and line["config.hyper.random_seed"] == 7
               for line in lines)


def test_a_diverged_metric_stops_the_trial_and_the_study_goes_on(tmp_path):
    pruner = dpa.optuna.SweepPruner(tmp_path / "sweep", epochs=3, layout=LAYOUT)
    study = optuna.create_study(direction="maximize", pruner=pruner)

    def objective(trial):
        for step in range(4):
            accuracy = float("nan") if trial.number == 1 and step == 1 else 0.5 + 0.1 * step
            pruner.report(trial, step, np.full(20, 0.1, np.float32), {"test_accuracy": accuracy})
            if trial.should_prune():
                raise optuna.TrialPruned()
        return accuracy

    study.optimize(objective, n_trials=3)
    diverged = study.trials[1]
    assert diverged.state == optuna.trial.TrialState.PRUNED
    assert diverged.user_attrs["dpa_diverged"] == {"step": 1, "metrics": ["test_accuracy"]}
    assert study.trials[2].state == optuna.trial.TrialState.COMPLETE
    rows = len(open(tmp_path / "sweep" / "metrics.jsonl").readlines())
    assert rows == 4 + 1 + 4  # the diverged checkpoint is not recorded


def _decisions(directory):
    # Refits in report() itself: decisions depend on the seed and the trials alone.
    pruner = dpa.optuna.SweepPruner(directory, epochs=3, layout=LAYOUT, audit=0.3, n_startup_trials=3,
                                    background=False)
    study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=3))
    study.optimize(_objective(pruner), n_trials=60)
    return [(t.state.name, sorted(t.intermediate_values.items())) for t in study.trials]


def test_decisions_do_not_depend_on_the_random_study_name(tmp_path):
    first, second = _decisions(tmp_path / "a"), _decisions(tmp_path / "b")
    assert sum(state == "PRUNED" for state, _ in first) > 0
    assert first == second


def test_recurrent_layers_weights_are_kernels_and_biases():
    gru = torch.nn.GRU(8, 16)
    kinds = [s.kind for s in dpa.torch.layout_of(gru)]
    assert kinds == ["kernel", "kernel", "bias", "bias"]


def test_a_swept_width_across_workers_and_zoo_info(tmp_path):
    from conftest import run_dpa
    wide = [dpa.Segment(0, 8, "bias"), dpa.Segment(8, 64, "kernel")]
    storage = optuna.storages.InMemoryStorage()  # one study, two workers (handles) on one directory
    for layout in (LAYOUT, wide):  # the second worker's first network is wider
        pruner = dpa.optuna.SweepPruner(tmp_path / "sweep", epochs=2, layout=layout)
        study = optuna.create_study(direction="maximize", pruner=pruner, study_name="s", storage=storage,
                                    load_if_exists=True)
        for _ in range(3):
            trial = study.ask()
            width = layout[-1].offset + layout[-1].length
            for step in range(3):
                pruner.report(trial, step, np.full(width, 0.1 * (trial.number + step), np.float32),
                              {"test_accuracy": 0.5})
        pruner.close()
    info = json.loads(run_dpa("zoo", "info", str(tmp_path / "sweep"), "--json"))
    assert info["rows"] == 18 and info["runs"] == 6
    assert (info["weights_per_network_min"], info["weights_per_network_max"]) == (20, 72)
