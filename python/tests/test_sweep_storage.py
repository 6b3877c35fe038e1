"""The study's storage is the sweep's memory: three worker processes, each with its own directory or
none, run one study on SQLite, on a JournalFileStorage and on a PostgreSQL server started here; at
the end every worker's learner has read every finished trial, the exported zoo holds every stored
checkpoint and `dpa zoo info` reads it. A worker killed with SIGKILL mid-trial loses nothing it
stored, the others finish, and its trial is never learnt from. Decisions made from the storage
equal those made from a shared directory for the same sequence of reports."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

optuna = pytest.importorskip("optuna", reason="Debian python3-optuna is not installed: SweepPruner is untested here")
torch = pytest.importorskip("torch", reason="Debian python3-torch is not installed: SweepPruner is untested here")

import dpa  # noqa: E402
import dpa.optuna  # noqa: E402
from conftest import ROOT, run_dpa  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import local_postgres  # noqa: E402

TRIALS_PER_WORKER = 20
WORKERS = 3

WORKER = textwrap.dedent("""
    import json, os, signal, sys, time
    import numpy as np, optuna, torch
    import dpa, dpa.optuna
    kind, where, study_name, trials, seed, directory, kill_after = sys.argv[1:8]
    trials, seed, kill_after = int(trials), int(seed), int(kill_after)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    torch.set_num_threads(1)


    def storage():
        if kind == "journal":
            return dpa.optuna.journal_storage(where)  # optuna/optuna#5138 worked around
        if not os.environ.get("DPA_TEST_HEARTBEAT"):
            return optuna.storages.RDBStorage(where)
        # Optuna 3.1's stale check takes (now - heartbeat).seconds, about 86399 when a heartbeat is
        # newer than the checking transaction's now() (PostgreSQL's is its start): it can fail a
        # running trial. The kill test alone needs the heartbeat, on SQLite, with a long grace.
        return optuna.storages.RDBStorage(where, heartbeat_interval=1, grace_period=20)


    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(300, 10)), dtype=torch.float32)
    y = (x[:, 0] - 0.7 * x[:, 1] * x[:, 2] > 0).long()
    pruner = dpa.optuna.SweepPruner(directory or None, epochs=4, percentile=75, n_startup_trials=3)
    study = optuna.load_study(study_name=study_name, storage=storage(), pruner=pruner,
                              sampler=optuna.samplers.RandomSampler(seed))
    reports = [0]

    def objective(trial):
        torch.manual_seed(trial.number)
        width = trial.suggest_int("width", 4, 24)
        lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
        net = torch.nn.Sequential(torch.nn.Linear(10, width), torch.nn.Tanh(), torch.nn.Linear(width, 2))
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        for epoch in range(1, 5):
            for i in range(0, 200, 40):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(net(x[i:i + 40]), y[i:i + 40]).backward()
                opt.step()
            with torch.no_grad():
                loss = float(torch.nn.functional.cross_entropy(net(x[:200]), y[:200]))
                accuracy = float((net(x[200:]).argmax(1) == y[200:]).float().mean())
            pruner.report(trial, epoch, net, {"test_accuracy": accuracy, "train_loss": loss})
            reports[0] += 1
            if kill_after and reports[0] >= kill_after and epoch < 4:  # mid-trial, after its record was stored
                os.kill(os.getpid(), signal.SIGKILL)
            if epoch < 4 and trial.should_prune():
                raise optuna.TrialPruned()
        return accuracy

    study.optimize(objective, n_trials=trials)
    # Wait for the other workers (a killed one's trial fails by Optuna's heartbeat), then read what
    # they stored: the learner knows every trial.
    deadline = time.time() + 180
    while time.time() < deadline and (
            len(study.get_trials(deepcopy=False)) < int(os.environ["DPA_TEST_TOTAL"]) or
            any(t.state == optuna.trial.TrialState.RUNNING for t in study.get_trials(deepcopy=False))):
        if os.environ.get("DPA_TEST_HEARTBEAT"):
            optuna.storages.fail_stale_trials(study)
        time.sleep(0.2)
    pruner.sync(study)
    print(json.dumps(pruner.state()))
""")


@pytest.fixture(scope="module")
def postgres():
    pytest.importorskip("psycopg2", reason="Debian python3-psycopg2 is not installed: PostgreSQL is untested here")
    try:
        server = local_postgres.Postgres()
    except local_postgres.Unavailable as e:
        pytest.skip("%s: the PostgreSQL case is untested here" % e)
    yield server
    server.stop()


def storage_of(kind, tmp_path, request):
    if kind == "sqlite":
        return "sqlite:///%s" % (tmp_path / "study.db")
    if kind == "journal":
        return str(tmp_path / "journal.log")
    return request.getfixturevalue("postgres").url


def open_storage(kind, where):
    if kind == "journal":
        return optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(where))
    return optuna.storages.RDBStorage(where)


def run_workers(kind, where, study_name, tmp_path, kill_after=()):
    # The trials to wait for: those of the workers that are not killed.
    env = dict(os.environ, DPA_TEST_TOTAL=str((WORKERS - len(kill_after)) * TRIALS_PER_WORKER))
    if kill_after:
        env["DPA_TEST_HEARTBEAT"] = "1"
    directories = [str(tmp_path / "w0"), str(tmp_path / "w1"), ""]  # the third records in its storage alone
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, kind, where, study_name, str(TRIALS_PER_WORKER),
                                 str(seed), directories[seed], str(kill_after[seed] if seed < len(kill_after) else 0)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
               for seed in range(WORKERS)]
    outputs = [w.communicate(timeout=900) for w in workers]
    return workers, outputs


@pytest.mark.parametrize("kind", ["sqlite", "journal", "postgres"])
def test_three_workers_learn_from_the_study_storage(tmp_path, request, kind):
    where = storage_of(kind, tmp_path, request)
    name = "sweep-%s-%d" % (kind, os.getpid())
    study = optuna.create_study(study_name=name, storage=open_storage(kind, where), direction="maximize")
    workers, outputs = run_workers(kind, where, name, tmp_path)
    for w, (out, err) in zip(workers, outputs):
        assert w.returncode == 0, err
    states = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    trials = study.get_trials(deepcopy=False)
    completed = sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert len(trials) == WORKERS * TRIALS_PER_WORKER and 0 < completed < len(trials)
    assert [s["finished"] for s in states] == [completed] * WORKERS  # each read every finished trial
    assert max(s["fits"] for s in states) >= 1
    stored = sum(len(t.intermediate_values) for t in trials)
    assert dpa.optuna.export_zoo(study, str(tmp_path / "zoo")) == stored
    info = json.loads(run_dpa("zoo", "info", str(tmp_path / "zoo"), "--json"))
    assert info["rows"] == stored and info["runs"] == len(trials) and info["stores"] == "statistics"
    if kind == "sqlite":  # the same from the command line: dpa sweep export
        out = subprocess.run([sys.executable, "-m", "dpa.sweep", "export", where, name, "-o", str(tmp_path / "zoo2")],
                             check=True, capture_output=True, text=True).stdout
        assert "%d checkpoints" % stored in out
        assert (np.load(tmp_path / "zoo2" / "statistics.npy") == np.load(tmp_path / "zoo" / "statistics.npy")).all()
    # The storage's records are the directories' rows, value for value.
    own = np.load(tmp_path / "w0" / "statistics.npy")
    exported = np.load(tmp_path / "zoo" / "statistics.npy")
    assert own.shape[1] == exported.shape[1] and any((exported == r).all(1).any() for r in own)


def test_a_killed_worker_loses_nothing_stored_and_is_not_learnt_from(tmp_path):
    where = "sqlite:///%s" % (tmp_path / "study.db")
    name = "killed"
    study = optuna.create_study(study_name=name, storage=where, direction="maximize")
    workers, outputs = run_workers("sqlite", where, name, tmp_path, kill_after=(7,))
    assert workers[0].returncode == -signal.SIGKILL
    for w, (out, err) in list(zip(workers, outputs))[1:]:
        assert w.returncode == 0, err
    study = optuna.load_study(study_name=name, storage=where)
    trials = study.get_trials(deepcopy=False)
    killed = [t for t in trials if t.state in (optuna.trial.TrialState.FAIL, optuna.trial.TrialState.RUNNING)]
    assert len(killed) == 1 and killed[0].intermediate_values  # it had reported, and its records stay
    completed = sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    states = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs[1:]]
    assert [s["finished"] for s in states] == [completed] * 2  # the killed trial is not among them
    stored = sum(len(t.intermediate_values) for t in trials)
    assert dpa.optuna.export_zoo(study, str(tmp_path / "zoo")) == stored


def interleaved(tmp_path, directory_mode):
    """Two workers' pruners in one process taking turns on one study: trial k is worker k % 2's."""
    storage = optuna.storages.InMemoryStorage()
    layout = [dpa.Segment(0, 4, "bias"), dpa.Segment(4, 16, "kernel")]
    pruners = [dpa.optuna.SweepPruner(str(tmp_path / ("shared" if directory_mode else "w%d" % k)) if directory_mode
                                      else None, epochs=4, n_startup_trials=3, layout=layout, background=False)
               for k in range(2)]
    studies = [optuna.create_study(study_name="s", storage=storage, direction="maximize", pruner=p,
                                   sampler=optuna.samplers.RandomSampler(k), load_if_exists=True)
               for k, p in enumerate(pruners)]
    rng = np.random.default_rng(4)
    for k in range(60):
        study, pruner = studies[k % 2], pruners[k % 2]
        trial = study.ask({"lr": optuna.distributions.FloatDistribution(0, 1)})
        quality = trial.params["lr"]
        for step in range(1, 5):
            weights = np.concatenate([rng.normal(0, 0.1, 4), rng.normal(0, 0.05 + quality, 16)]).astype(np.float32)
            pruner.report(trial, step, weights, {"test_accuracy": float(np.clip(quality + rng.normal(0, 0.2), 0, 1))})
            if step < 4 and trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                break
        else:
            study.tell(trial, quality)
    return [(t.state.name, t.last_step) for t in studies[0].trials], [p.state()["fits"] for p in pruners]


def test_decisions_from_the_storage_equal_those_from_a_shared_directory(tmp_path):
    from_directory, fits = interleaved(tmp_path / "dir", True)
    from_storage, _ = interleaved(tmp_path / "storage", False)
    assert min(fits) >= 1
    assert from_storage == from_directory


def test_exporting_a_study_no_sweep_pruner_recorded_is_refused(tmp_path):
    study = optuna.create_study(study_name="x", direction="maximize")
    study.optimize(lambda trial: trial.suggest_float("a", 0, 1), n_trials=2)
    with pytest.raises(ValueError, match="holds no SweepPruner records"):
        dpa.optuna.export_zoo(study, str(tmp_path / "zoo"))
    assert not (tmp_path / "zoo").exists()


def test_a_past_study_is_history(tmp_path):
    layout = [dpa.Segment(0, 4, "bias"), dpa.Segment(4, 16, "kernel")]
    rng = np.random.default_rng(5)

    def sweep(pruner, trials):
        study = optuna.create_study(direction="maximize", pruner=pruner)
        for _ in range(trials):
            trial = study.ask({"lr": optuna.distributions.FloatDistribution(0, 1)})
            for step in range(1, 4):
                pruner.report(trial, step, rng.normal(0, 0.1 + trial.params["lr"], 20).astype(np.float32),
                              {"test_accuracy": trial.params["lr"] * step / 3})
            study.tell(trial, trial.params["lr"])
        return study

    past = sweep(dpa.optuna.SweepPruner(None, epochs=3, layout=layout, background=False), 15)
    pruner = dpa.optuna.SweepPruner(None, epochs=3, layout=layout, history=past, background=False)
    sweep(pruner, 1)
    assert pruner.state()["finished"] == 16 and pruner.state()["fits"] >= 1  # the past study's 15 and its own


def test_checkpoint_records_of_earlier_versions_are_read_alike(tmp_path):
    # Records are stored as one JSON text each (cheap for Optuna's deep copies of a trial); earlier
    # versions stored the dict itself. A study of either kind exports the same zoo and teaches a
    # learner the same.
    from dpa._sweep import CHECKPOINT_ATTR, LAYOUT_ATTR
    layout = [dpa.Segment(0, 4, "bias"), dpa.Segment(4, 16, "kernel")]
    rng = np.random.default_rng(6)
    study = optuna.create_study(study_name="now", direction="maximize")
    pruner = dpa.optuna.SweepPruner(None, epochs=3, layout=layout, background=False)
    for _ in range(12):
        trial = study.ask({"lr": optuna.distributions.FloatDistribution(0, 1)})
        for step in range(1, 4):
            pruner.report(trial, step, rng.normal(0, 0.1 + trial.params["lr"], 20).astype(np.float32),
                          {"test_accuracy": trial.params["lr"] * step / 3, "train_loss": 1 / step})
        study.tell(trial, trial.params["lr"])
    stored = study.trials[0].system_attrs[CHECKPOINT_ATTR % 2]
    assert isinstance(stored, str) and json.loads(stored)["m"]["test_accuracy"] == study.trials[0].params["lr"] * 2 / 3

    earlier = optuna.create_study(study_name="now", direction="maximize")  # the same name: the same run names
    earlier._storage.set_study_system_attr(earlier._study_id, LAYOUT_ATTR,
                                           study._storage.get_study_system_attrs(study._study_id)[LAYOUT_ATTR])
    for t in study.trials:
        attrs = {k: json.loads(v) if k.startswith("dpa:checkpoint:") else v for k, v in t.system_attrs.items()}
        earlier.add_trial(optuna.trial.create_trial(params=t.params, distributions=t.distributions, value=t.value,
                                                    intermediate_values=t.intermediate_values, system_attrs=attrs))
    assert isinstance(earlier.trials[0].system_attrs[CHECKPOINT_ATTR % 2], dict)

    zoos = [str(tmp_path / name) for name in ("now", "earlier")]
    assert dpa.optuna.export_zoo(study, zoos[0]) == dpa.optuna.export_zoo(earlier, zoos[1]) == 36
    for name in sorted(os.listdir(zoos[0])):
        with open(os.path.join(zoos[0], name), "rb") as a, open(os.path.join(zoos[1], name), "rb") as b:
            assert a.read() == b.read(), name
    states, weights = [], rng.normal(0, 0.3, 20).astype(np.float32)
    for s in (study, earlier):  # a worker joining each study reads its records before it decides
        learner = dpa.optuna.SweepPruner(None, epochs=3, layout=layout, background=False)
        trial = s.ask({"lr": optuna.distributions.FloatDistribution(0, 1)})
        learner.report(trial, 1, weights, {"test_accuracy": 0.5, "train_loss": 1.0})
        states.append({k: v for k, v in learner.state().items() if k != "refits"})  # refits: their timings
    assert states[0]["finished"] == 12 and states[0]["fits"] >= 1
    assert states[0] == states[1]
