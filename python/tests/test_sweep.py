"""dpa.optuna.SweepPruner: a sweep of a network of its own pruned from the first trial, by two
worker processes sharing one directory and one Optuna storage; the recorded statistics zoo reads
in every dpa command."""
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

optuna = pytest.importorskip("optuna", reason="Debian python3-optuna is not installed: SweepPruner is untested here")
torch = pytest.importorskip("torch", reason="Debian python3-torch is not installed: SweepPruner is untested here")

import dpa  # noqa: E402
import dpa.optuna  # noqa: E402
from conftest import run_dpa  # noqa: E402

WORKER = textwrap.dedent("""
    import json, sys
    import numpy as np, optuna, torch
    import dpa, dpa.optuna
    sweep, journal, trials, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)  # the same task in every worker
    x = torch.tensor(rng.normal(size=(400, 12)), dtype=torch.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] * x[:, 2] > 0).long()
    storage = dpa.optuna.journal_storage(journal)  # optuna/optuna#5138 worked around
    pruner = dpa.optuna.SweepPruner(sweep, epochs=4, percentile=75, n_startup_trials=3, n_warmup_steps=1)
    study = optuna.load_study(study_name="sweep", storage=storage, pruner=pruner,
                              sampler=optuna.samplers.RandomSampler(seed=seed))

    def objective(trial):
        torch.manual_seed(trial.number)
        width = trial.suggest_int("width", 4, 32)
        lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
        optimizer_name = trial.suggest_categorical("optimizer", ["sgd", "adam"])
        net = torch.nn.Sequential(torch.nn.Linear(12, width), torch.nn.Tanh(), torch.nn.Linear(width, 2))
        opt = (torch.optim.SGD if optimizer_name == "sgd" else torch.optim.Adam)(net.parameters(), lr=lr)
        for epoch in range(5):
            if epoch:
                for i in range(0, 300, 50):
                    opt.zero_grad()
                    loss = torch.nn.functional.cross_entropy(net(x[i:i + 50]), y[i:i + 50])
                    loss.backward()
                    opt.step()
            with torch.no_grad():
                train_loss = float(torch.nn.functional.cross_entropy(net(x[:300]), y[:300]))
                accuracy = float((net(x[300:]).argmax(1) == y[300:]).float().mean())
            pruner.report(trial, epoch, net, {"test_accuracy": accuracy, "train_loss": train_loss})
            if trial.should_prune():
                raise optuna.TrialPruned()
        return accuracy

    completed = []
    study.optimize(objective, n_trials=trials, callbacks=[lambda s, t: completed.append(t.state.name == "COMPLETE")])
    pruner.wait()
    print(json.dumps({"state": pruner.state(), "model_bytes": len(pruner.model_bytes()), "completed": sum(completed)}))
""")


def test_two_workers_share_a_sweep(tmp_path):
    sweep, journal = str(tmp_path / "sweep"), str(tmp_path / "journal.log")
    storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(journal))
    optuna.create_study(study_name="sweep", storage=storage, direction="maximize")
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, sweep, journal, "20", str(seed)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
               for seed in (1, 2)]
    outputs = [w.communicate(timeout=600) for w in workers]
    for w, (out, err) in zip(workers, outputs):
        assert w.returncode == 0, err
    states = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    study = optuna.load_study(study_name="sweep", storage=storage)
    pruned = [t for t in study.trials if t.state == optuna.trial.TrialState.PRUNED]
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(study.trials) == 40 and pruned and complete
    # A worker learns from the trials both finished, not its own alone.
    assert max(s["state"]["finished"] for s in states) > max(s["completed"] for s in states)
    assert max(s["state"]["fits"] for s in states) >= 1 and max(s["model_bytes"] for s in states) > 0
    info = json.loads(run_dpa("zoo", "info", sweep, "--json"))
    reported = sum(len(t.intermediate_values) for t in study.trials)
    assert info["stores"] == "statistics" and info["rows"] == reported and info["runs"] == 40
    model = dpa.Model(run_dpa_model(tmp_path, sweep))
    assert model.target == "final_test_accuracy"


def run_dpa_model(tmp_path, sweep):
    out = str(tmp_path / "sweep.dpa")
    # Every run trains: a sweep of a dozen finished trials may hold none out at the default 0.2.
    run_dpa("train", sweep, "-o", out, "--checkpoints", "all", "--target", "final_test_accuracy",
            "--context", "step,train_loss,test_accuracy,hyper", "--trees", "20", "--test-fraction", "0")
    return out


def test_the_learnt_predictor_is_a_model_file_and_bad_reports_are_refused(tmp_path):
    layout = [dpa.Segment(0, 4, "bias"), dpa.Segment(4, 16, "kernel")]
    pruner = dpa.optuna.SweepPruner(tmp_path / "sweep", epochs=2, layout=layout, n_startup_trials=12)
    # Twelve startup trials are never stopped, so the learner's first fit (after ten finished)
    # happens whatever the sampler draws; the sampler is seeded all the same.
    study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(0))
    rng = np.random.default_rng(0)
    observed = {}  # test_accuracy at step 1, by trial name
    for k in range(30):
        trial = study.ask({"lr": optuna.distributions.FloatDistribution(1e-3, 1.0, log=True)})
        quality = trial.params["lr"]
        for step in range(3):
            w = rng.normal(0, 0.1 + quality * step, 20).astype(np.float32)
            accuracy = min(1.0, quality * (1 + step) / 3)
            pruner.report(trial, step, w, {"test_accuracy": accuracy, "train_loss": 1 - quality})
            if step == 1:
                observed["%s/%d" % (study.study_name, trial.number)] = np.float32(accuracy)
            if trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                break
        else:
            study.tell(trial, min(1.0, quality))
    pruner.wait()
    state = pruner.state()
    assert state["fits"] >= 1 and state["finished"] >= 10
    # Before the predictor is trusted at a step, the rule compares the observed metric there.
    assert 1 not in state["trusted_steps"]
    scores = pruner.scores_at(1)
    assert set(scores) == set(observed) and all(np.float32(scores[n]) == observed[n] for n in observed)
    model = dpa.Model(pruner.model_bytes())
    assert model.target == "final_test_accuracy" and "config.lr" in model.context_names
    trial = study.ask()
    with pytest.raises(ValueError, match="test_accuracy"):
        pruner.report(trial, 0, np.zeros(20, np.float32), {"accuracy": 0.5})
    with pytest.raises(ValueError, match="same metrics"):
        pruner.report(trial, 0, np.zeros(20, np.float32), {"test_accuracy": 0.5})
    with pytest.raises(ValueError, match="20"):
        pruner.report(trial, 0, np.zeros(21, np.float32), {"test_accuracy": 0.5, "train_loss": 1.0})
    for step in (-1, 2 ** 32, 1.5):  # the C ABI's uint32 would take 2**32 as step 0
        with pytest.raises(ValueError, match="step"):
            pruner.report(trial, step, np.zeros(20, np.float32), {"test_accuracy": 0.5, "train_loss": 1.0})
    minimize = optuna.create_study(direction="minimize",
                                   pruner=dpa.optuna.SweepPruner(tmp_path / "other", epochs=2, layout=layout))
    with pytest.raises(ValueError, match="maximize"):
        minimize.pruner.report(minimize.ask(), 0, np.zeros(20, np.float32), {"test_accuracy": 0.5})


def test_scores_at_a_step_are_the_predictors_where_it_is_trusted(tmp_path):
    # The final value is the learning rate's; the test accuracy at step 1 is a noisy view of it.
    # Every trial is an audit trial (never stopped), so all of them finish and are learnt from.
    layout = [dpa.Segment(0, 4, "bias"), dpa.Segment(4, 16, "kernel")]
    # Refits in report() and a seeded sampler: the same fits whatever the machine's load.
    pruner = dpa.optuna.SweepPruner(tmp_path / "sweep", epochs=2, layout=layout, audit=1.0, background=False)
    study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(1))
    assert pruner.scores_at(1) == {}
    with pytest.raises(ValueError, match="step"):
        pruner.scores_at(-1)
    rng = np.random.default_rng(1)
    observed = {}
    for _ in range(60):
        trial = study.ask({"lr": optuna.distributions.FloatDistribution(0.0, 1.0)})
        for step in range(3):
            final = trial.params["lr"]
            accuracy = final if step == 2 else float(np.clip(final + rng.normal(0, 0.3), 0, 1))
            pruner.report(trial, step, rng.normal(0, 0.1, 20).astype(np.float32),
                          {"test_accuracy": accuracy, "train_loss": 1.0})
            if step == 1:
                observed["%s/%d" % (study.study_name, trial.number)] = np.float32(accuracy)
        study.tell(trial, final)
    pruner.wait()
    assert 1 in pruner.state()["trusted_steps"]
    scores = pruner.scores_at(1)
    assert set(scores) == set(observed)
    assert sum(np.float32(scores[n]) != observed[n] for n in observed) >= len(observed) // 2
    with pytest.raises(ValueError, match="step"):
        pruner.scores_at(2 ** 32)
