"""scripts/sweep-live-replay.py on the mini zoo: the tables of seeds replayed apart and merged
(--merge, whose --json merges again alike) are those of the seeds replayed together; files of
different sweeps, and files that are not replays, are refused in one line; a setting's rule
arguments and audit fraction reach the pruner, and a malformed one is refused."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("optuna", reason="Debian python3-optuna is not installed: the replay script is untested here")

import dpa  # noqa: E402
from conftest import MINI_ZOO, ROOT, dpa_binary  # noqa: E402

SCRIPT = os.path.join(ROOT, "scripts", "sweep-live-replay.py")


def replay(*args):
    done = subprocess.run([sys.executable, SCRIPT, *args, "--dpa", dpa_binary()], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def sweep(tmp_path, seeds, trials=24):
    path = str(tmp_path / ("seeds%s-%d.json" % (seeds.replace(",", ""), trials)))
    out = replay(MINI_ZOO, "--trials", str(trials), "--orders", "2", "--seeds", seeds, "--baselines", "median",
                 "--ours", "50", "--jobs", "1", "--json", path)
    return path, out


def test_seeds_replayed_apart_and_merged_give_the_tables_of_one_replay(tmp_path):
    first, _ = sweep(tmp_path, "0")
    second, _ = sweep(tmp_path, "1")
    _, together = sweep(tmp_path, "0,1")
    assert "SweepPruner(percentile=50)" in together and "Optuna MedianPruner" in together
    assert replay("--merge", first, second) == together
    merged = str(tmp_path / "merged.json")
    replay("--merge", first, second, "--json", merged)
    assert replay("--merge", merged) == together  # a merged file tables as what it merged
    with open(first) as f:
        written = json.load(f)
    assert written["history_runs"] == 0 and written["first_step"] == 1 and written["runs"] > 24


def test_merging_replays_of_different_sweeps_is_refused(tmp_path):
    first, _ = sweep(tmp_path, "0")
    other, _ = sweep(tmp_path, "1", trials=20)
    done = subprocess.run([sys.executable, SCRIPT, "--merge", first, other], capture_output=True, text=True)
    assert done.returncode != 0
    assert other in done.stderr and "another zoo, trial count" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    not_replays = tmp_path / "list.json"
    not_replays.write_text("[]")
    done = subprocess.run([sys.executable, SCRIPT, "--merge", str(not_replays)], capture_output=True, text=True)
    assert done.returncode != 0
    assert str(not_replays) in done.stderr and "not a sweep-live-replay.py --json file" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def curves_zoo(directory, runs=30):
    """A statistics zoo of runs with curves (the mini zoo has final checkpoints only)."""
    rng = np.random.default_rng(0)
    with dpa.ZooWriter(directory, [dpa.Segment(0, 8, "bias"), dpa.Segment(8, 64, "kernel")], store="stats") as w:
        for run in range(runs):
            quality = rng.uniform(0.1, 0.9)
            for step in (1, 2, 3, 4):
                w.add(rng.normal(0, 0.05 + quality * step / 4, 72).astype(np.float32), run="run%03d" % run,
                      step=step, test_accuracy=quality * (0.5 + step / 8), config={"epochs": 4})
    return str(directory)


def test_a_setting_gives_the_pruner_its_rule_arguments(tmp_path):
    path = str(tmp_path / "warmup.json")
    out = replay(curves_zoo(tmp_path / "zoo"), "--trials", "24", "--orders", "2", "--seeds", "0", "--baselines", "",
                 "--ours", "50,50:n_warmup_steps=1000", "--jobs", "1", "--json", path)
    assert "SweepPruner(percentile=50, n_warmup_steps=1000)" in out
    with open(path) as f:
        summary = json.load(f)["summary"]
    warmed = summary["ours:50:n_warmup_steps=1000"]
    assert warmed["completed"]["mean"] == 24 and warmed["epochs_used"]["mean"] == 1.0  # never past its warmup
    assert summary["ours:50"]["completed"]["mean"] < 24
    for bad in ("50:warmup=2", "50:audit=2"):
        done = subprocess.run([sys.executable, SCRIPT, MINI_ZOO, "--ours", bad], capture_output=True, text=True)
        assert done.returncode == 2 and "is not finished, audit=FRACTION or NAME=WHOLE" in done.stderr


def test_a_setting_gives_the_pruner_its_audit_fraction(tmp_path):
    out = replay(curves_zoo(tmp_path / "zoo"), "--trials", "24", "--orders", "2", "--seeds", "0", "--baselines", "",
                 "--ours", "90,90:audit=1,90:audit=0.5", "--jobs", "1", "--json", str(tmp_path / "audit.json"),
                 "--plot", str(tmp_path / "audit.svg"))
    assert "SweepPruner(percentile=90, audit=1)" in out and "SweepPruner(percentile=90, audit=0.5)" in out
    assert "ours 90 audit=0.5<" in (tmp_path / "audit.svg").read_text()  # the plot's labels as the table's
    with open(tmp_path / "audit.json") as f:
        summary = json.load(f)["summary"]
    assert summary["ours:90:audit=1"]["completed"]["mean"] == 24  # every trial audited: none stopped
    assert summary["ours:90"]["completed"]["mean"] < 24


def test_hyperband_replays_the_same_every_run(tmp_path):
    # HyperbandPruner puts a trial in a bracket by a hash of the study's name and the trial's
    # number: each replay names its study after its seed and order, not at random.
    zoo = curves_zoo(tmp_path / "zoo", runs=40)
    runs = []
    for k in range(2):
        path = str(tmp_path / ("hyperband%d.json" % k))
        replay(zoo, "--trials", "40", "--orders", "4", "--seeds", "0", "--baselines", "hyperband", "--ours", "",
               "--jobs", "1", "--json", path)
        with open(path) as f:
            runs.append(json.load(f)["replays"])
    assert runs[0] == runs[1] and len(runs[0]) == 4
