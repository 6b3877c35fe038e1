"""A live study and the replay of its own records decide alike: a SweepPruner study of a small
torch network (RandomSampler, every step asked but the last) records its trials as a statistics
zoo; dpa.replay replays those runs in trial order through a fresh SweepPruner, and every trial
stops at the same step with the same state. Also: Optuna's own pruners replayed on the same runs
decide as they do live."""
import numpy as np
import pytest

optuna = pytest.importorskip("optuna", reason="Debian python3-optuna is not installed: SweepPruner is untested here")
torch = pytest.importorskip("torch", reason="Debian python3-torch is not installed: SweepPruner is untested here")

import dpa  # noqa: E402
import dpa.optuna  # noqa: E402
import dpa.replay  # noqa: E402
import dpa.torch  # noqa: E402

EPOCHS = 5


def live_study(pruner, trials, seed=0):
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(300, 10)), dtype=torch.float32)
    y = (x[:, 0] - 0.7 * x[:, 1] * x[:, 2] > 0).long()

    def objective(trial):
        torch.manual_seed(trial.number)
        width = trial.suggest_int("width", 4, 24)
        lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        kind = trial.suggest_categorical("optimizer", ["sgd", "adam"])
        net = torch.nn.Sequential(torch.nn.Linear(10, width), torch.nn.Tanh(), torch.nn.Linear(width, 2))
        opt = (torch.optim.SGD if kind == "sgd" else torch.optim.Adam)(net.parameters(), lr=lr)
        for epoch in range(1, EPOCHS + 1):
            for i in range(0, 200, 40):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(net(x[i:i + 40]), y[i:i + 40]).backward()
                opt.step()
            with torch.no_grad():
                loss = float(torch.nn.functional.cross_entropy(net(x[:200]), y[:200]))
                accuracy = float((net(x[200:]).argmax(1) == y[200:]).float().mean())
            if isinstance(pruner, dpa.optuna.SweepPruner):
                pruner.report(trial, epoch, net, {"test_accuracy": accuracy, "train_loss": loss})
            else:
                trial.report(accuracy, epoch)
            if epoch < EPOCHS and trial.should_prune():  # nothing left to save at the last epoch
                raise optuna.TrialPruned()
        return accuracy

    study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(seed))
    study.optimize(objective, n_trials=trials)
    return study


def decisions(study):
    return [(t.state.name, t.last_step) for t in study.trials]


def test_a_live_study_and_the_replay_of_its_records_decide_alike(tmp_path):
    pruner = dpa.optuna.SweepPruner(tmp_path / "live", epochs=EPOCHS, n_startup_trials=3, audit=0.2, background=False)
    live = live_study(pruner, 100)
    assert pruner.state()["fits"] >= 1
    runs, layout, statistics = dpa.replay.read_runs(str(tmp_path / "live"), finished_only=False)
    assert len(runs) == 100
    again = dpa.optuna.SweepPruner(tmp_path / "replayed", epochs=EPOCHS, n_startup_trials=3, audit=0.2,
                                   layout=layout, background=False)
    replayed = dpa.replay.replay(runs, again, statistics, seed=0)
    assert decisions(replayed) == decisions(live)
    pruned = sum(state == "PRUNED" for state, _ in decisions(live))
    assert 0 < pruned < 100
    # Some decisions compared the learner's scores, and they were the same too.
    assert any(r["predicted"] for t in live.trials for r in pruner.explain(t))
    assert [again.explain(t) for t in replayed.trials] == [pruner.explain(t) for t in live.trials]
