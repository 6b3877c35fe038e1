"""dpa.ZooWriter: zoos every dpa command reads, appendable, and readable after a kill."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import dpa
from conftest import run_dpa

LAYOUT = [dpa.Segment(0, 8, "bias"), dpa.Segment(8, 64, "kernel"), dpa.Segment(72, 4, "other")]


def add_runs(writer, runs, first=0, seed=0):
    rng = np.random.default_rng(seed)
    for run in range(first, first + runs):
        quality = rng.uniform(0.1, 0.9)
        config = {"epochs": 4, "learning_rate": 10 ** -rng.uniform(1, 3), "optimizer": ["adam", "sgd"][run % 2]}
        for step in (0, 1, 2, 4):
            w = rng.normal(0, 0.05 + quality * step / 4, 76).astype(np.float32)
            writer.add(w, run="run%03d" % run, step=step, test_accuracy=quality * (0.5 + step / 8),
                       train_loss=2.5 - quality * step / 2, config=config)


def test_a_sweep_reads_back_in_every_dpa_command(tmp_path):
    zoo = tmp_path / "zoo"
    with dpa.ZooWriter(zoo, LAYOUT) as writer:
        add_runs(writer, 60)
    info = json.loads(run_dpa("zoo", "info", str(zoo), "--json"))
    assert info["runs"] == 60 and info["rows"] == 240
    trained = json.loads(run_dpa("train", str(zoo), "-o", str(tmp_path / "m.dpa"), "--checkpoints", "1",
                                 "--target", "final_test_accuracy", "--context", "hyper,train", "--trees", "20", "--json"))
    assert trained["test_rows"] > 0 and "config.optimizer(2)" in trained["context"]
    model = dpa.Model(str(tmp_path / "m.dpa"))
    assert model.layout == LAYOUT


def test_appends_add_up_and_a_different_layout_is_refused(tmp_path):
    zoo = tmp_path / "zoo"
    with dpa.ZooWriter(zoo, LAYOUT) as w:
        add_runs(w, 3)
    with dpa.ZooWriter(zoo, LAYOUT) as w:  # a restart, another process's writer alike
        add_runs(w, 2, first=3)
    assert json.loads(run_dpa("zoo", "info", str(zoo), "--json"))["rows"] == 20
    with pytest.raises(ValueError, match="another layout"):
        dpa.ZooWriter(zoo, LAYOUT[:2])
    with pytest.raises(ValueError, match="epochs"):
        dpa.ZooWriter(zoo, LAYOUT).add(np.zeros(76, np.float32), run="x", step=0, config={})
    with pytest.raises(ValueError, match="76 values"):
        dpa.ZooWriter(zoo, LAYOUT).add(np.zeros(75, np.float32), run="x", step=0, config={"epochs": 1})


def test_a_killed_writer_leaves_a_readable_zoo(tmp_path):
    zoo = tmp_path / "zoo"
    script = textwrap.dedent("""
        import sys, numpy as np, dpa
        sys.path.insert(0, %r)
        from test_zoo import LAYOUT, add_runs
        writer = dpa.ZooWriter(%r, LAYOUT, flush_every=8)
        for k in range(10**6):
            add_runs(writer, 1, first=k, seed=k)
            if k == 3:
                print("flushed", flush=True)
    """) % (os.path.dirname(__file__), str(zoo))
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ))
    assert child.stdout.readline().strip() == "flushed"
    child.send_signal(signal.SIGKILL)
    child.wait()
    info = json.loads(run_dpa("zoo", "info", str(zoo), "--json"))
    assert info["rows"] >= 8 and info["rows"] % 8 == 0
