"""dpa.ZooWriter: zoos every dpa command reads, appended to by several processes, readable after a
kill, statistics zoos equal to weights zoos, and nothing written that a reader would refuse."""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import dpa
from conftest import MINI_ZOO, dpa_binary, run_dpa

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


def zoo_info(zoo):
    return json.loads(run_dpa("zoo", "info", str(zoo), "--json"))


def test_a_sweep_reads_back_in_every_dpa_command(tmp_path):
    zoo = tmp_path / "zoo"
    with dpa.ZooWriter(zoo, LAYOUT) as writer:
        add_runs(writer, 60)
        assert writer.rows == 240
    info = zoo_info(zoo)
    assert info["runs"] == 60 and info["rows"] == 240 and info["stores"] == "weights"
    trained = json.loads(run_dpa("train", str(zoo), "-o", str(tmp_path / "m.dpa"), "--checkpoints", "1",
                                 "--target", "final_test_accuracy", "--context", "hyper,train", "--trees", "20", "--json"))
    assert trained["test_rows"] > 0 and "config.optimizer(2)" in trained["context"]
    model = dpa.Model(str(tmp_path / "m.dpa"))
    assert model.layout == LAYOUT


def test_a_statistics_zoo_trains_the_same_model_as_the_weights(tmp_path):
    for store in ("weights", "stats"):
        os.makedirs(tmp_path / store)
        with dpa.ZooWriter(tmp_path / store / "zoo", LAYOUT, store=store) as writer:
            add_runs(writer, 40)
    assert zoo_info(tmp_path / "stats" / "zoo")["stores"] == "statistics"
    assert not os.path.exists(tmp_path / "stats" / "zoo" / "weights.npy")
    for store in ("weights", "stats"):  # the same relative path: the same recorded provenance
        subprocess.run([dpa_binary(), "train", "zoo", "-o", "m.dpa", "--checkpoints", "all", "--stats", "extended",
                        "--target", "final_test_accuracy", "--context", "step,train_loss,hyper", "--trees", "20"],
                       cwd=tmp_path / store, check=True, capture_output=True)
    with open(tmp_path / "weights" / "m.dpa", "rb") as a, open(tmp_path / "stats" / "m.dpa", "rb") as b:
        assert a.read() == b.read()


def test_appends_add_up_and_a_different_layout_is_refused(tmp_path):
    zoo = tmp_path / "zoo"
    with dpa.ZooWriter(zoo, LAYOUT) as w:
        add_runs(w, 3)
    with dpa.ZooWriter(zoo, LAYOUT) as w:  # a restart, another process's writer alike
        add_runs(w, 2, first=3)
    assert zoo_info(zoo)["rows"] == 20
    with pytest.raises(ValueError, match="another layout"):
        dpa.ZooWriter(zoo, LAYOUT[:2])
    with pytest.raises(ValueError, match="statistics"):
        dpa.ZooWriter(zoo, LAYOUT, store="stats")
    with pytest.raises(ValueError, match="epochs"):
        dpa.ZooWriter(zoo, LAYOUT).add(np.zeros(76, np.float32), run="x", step=0, test_accuracy=0.5, config={})
    with pytest.raises(ValueError, match="76 values"):
        dpa.ZooWriter(zoo, LAYOUT).add(np.zeros(75, np.float32), run="x", step=0, config={"epochs": 1})
    assert zoo_info(zoo)["rows"] == 20


@pytest.mark.parametrize("bad, named", [
    ({"test_accuracy": float("nan")}, "test_accuracy"),
    ({"test_accuracy": None}, "test_accuracy"),
    ({"test_accuracy": 1e300}, "test_accuracy"),
    ({"step": -1}, "step"),
    ({"step": 2.7}, "step"),
    ({"config": {"epochs": None}}, "epochs"),
    ({"config": {"epochs": 4, "lr": float("inf")}}, "config.lr"),
    ({"train_loss": 1e300}, "train_loss"),
    ({"run": ""}, "modeldir"),
])
def test_values_a_reader_refuses_are_refused_at_the_call(tmp_path, bad, named):
    zoo = tmp_path / "zoo"
    with dpa.ZooWriter(zoo, LAYOUT) as w:
        add_runs(w, 2)
        args = dict(run="r", step=1, test_accuracy=0.5, config={"epochs": 4})
        args.update(bad)
        with pytest.raises((ValueError, TypeError), match=named):
            w.add(np.zeros(76, np.float32), **args)
    assert zoo_info(zoo)["rows"] == 8  # the zoo still reads, without the refused row


def test_a_whole_float_step_is_a_step():
    assert dpa.zoo._plain("step", 3.0) == 3.0  # written as 3.0; the reader takes it as step 3


def test_a_zoo_it_did_not_write_is_refused_and_left_alone(tmp_path):
    released = tmp_path / "released"
    shutil.copytree(MINI_ZOO, released)
    before = {f: open(os.path.join(released, f), "rb").read() for f in os.listdir(released)}
    with pytest.raises(ValueError, match="did not write"):
        dpa.ZooWriter(released, dpa.zoo_layout())
    assert {f: open(os.path.join(released, f), "rb").read() for f in os.listdir(released)} == before
    other = tmp_path / "notes"
    os.makedirs(other)
    open(other / "README.md", "w").write("mine")
    with pytest.raises(ValueError, match="README.md"):
        dpa.ZooWriter(other, LAYOUT)
    assert os.listdir(other) == ["README.md"]


def run_writer(zoo, first, runs, signal_after=None):
    script = textwrap.dedent("""
        import sys, numpy as np, dpa
        sys.path.insert(0, %r)
        from test_zoo import LAYOUT, add_runs
        writer = dpa.ZooWriter(%r, LAYOUT, store="stats")
        for k in range(%d, %d):
            add_runs(writer, 1, first=k, seed=k)
            if k == %d:
                print("added", flush=True)
    """) % (os.path.dirname(__file__), str(zoo), first, first + runs, first + (signal_after or 0))
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=dict(os.environ))


def test_a_killed_writer_leaves_a_readable_zoo_and_no_litter(tmp_path):
    zoo = tmp_path / "zoo"
    child = run_writer(zoo, 0, 10**6, signal_after=3)
    assert child.stdout.readline().strip() == "added"
    child.send_signal(signal.SIGKILL)
    child.wait()
    rows = zoo_info(zoo)["rows"]
    assert rows >= 16
    assert not glob.glob(str(zoo / "*tmp*")) and not glob.glob(str(zoo / ".*tmp*"))
    with dpa.ZooWriter(zoo, LAYOUT, store="stats") as w:  # the next writer goes on from there
        assert w.rows == rows
        add_runs(w, 1, first=10**6)
    assert zoo_info(zoo)["rows"] == rows + 4


def test_writers_in_two_processes_add_up(tmp_path):
    zoo = tmp_path / "zoo"
    children = [run_writer(zoo, 0, 30), run_writer(zoo, 100, 30)]
    for child in children:
        child.communicate()
        assert child.returncode == 0
    info = zoo_info(zoo)
    assert info["rows"] == 240 and info["runs"] == 60


def test_a_zoo_without_rows_says_so(tmp_path):
    dpa.ZooWriter(tmp_path / "zoo", LAYOUT).close()
    out = subprocess.run([dpa_binary(), "zoo", "info", str(tmp_path / "zoo")], capture_output=True, text=True)
    assert out.returncode == 1 and "no checkpoints yet" in out.stderr


def test_metrics_of_too_few_runs_are_null_not_zero(tmp_path):
    zoo = tmp_path / "zoo"
    with dpa.ZooWriter(zoo, LAYOUT) as w:
        add_runs(w, 2)
    train = [dpa_binary(), "train", str(zoo), "--trees", "5", "--test-fraction", "0.5"]
    # No run held out: an error, not a model with empty metrics. One run of one row held out:
    # metrics of too few rows, null and n/a with a warning, never 0.
    held, none_held = [], []
    for seed in range(16):
        out = subprocess.run(train + ["-o", str(tmp_path / "m.dpa"), "--seed", str(seed), "--json"],
                             capture_output=True, text=True)
        if out.returncode != 0:
            assert out.returncode == 1 and ("no run was held out for testing (2 usable runs)" in out.stderr
                                            or "the split left no training rows" in out.stderr), out.stderr
            none_held += ["no run was held out" in out.stderr]
            continue
        held.append(seed)
        report = json.loads(out.stdout)
        for side in ("validation", "test"):
            if report[side]["n"] < 2:
                assert report[side]["r2"] is None and report[side]["mae"] is None
        assert report["test"]["n"] == 1
    assert held and any(none_held), (held, none_held)  # both outcomes met
    text = subprocess.run(train + ["-o", str(tmp_path / "m2.dpa"), "--seed", str(held[0])],
                          capture_output=True, text=True)
    assert "n/a" in text.stdout and "R2 0.0000" not in text.stdout and "warning" in text.stderr


def test_zoo_info_and_report_describe_the_zoo_they_read(tmp_path):
    """#28 item 9: a zoo that is not the CNN zoo: its own hyperparameters and statistics count."""
    zoo = tmp_path / "zoo"
    with dpa.ZooWriter(zoo, LAYOUT) as w:
        add_runs(w, 24)
    info = zoo_info(zoo)
    assert set(info["hyperparameters"]) == {"config.learning_rate", "config.optimizer"}, info
    assert info["hyperparameters"]["config.optimizer"]["runs_per_value"] == {"adam": 12, "sgd": 12}
    lr = info["hyperparameters"]["config.learning_rate"]
    assert 1e-3 <= lr["min"] <= lr["median"] <= lr["max"] <= 0.1
    text = run_dpa("zoo", "info", str(zoo))
    assert "(none)" not in text and "activation" not in text and "optimizer" in text
    report = json.loads(run_dpa("report", str(zoo), "-o", str(tmp_path / "report"), "--quick", "--json"))
    statistics = 7 * len(LAYOUT)
    assert report["zoos"][0]["w_stats"] == statistics
    summary = (tmp_path / "report" / "README.md").read_text()
    assert "W-stats are %d statistics" % statistics in summary and "the 56 per-layer" not in summary


@pytest.mark.parametrize("store", ["weights", "stats"])
def test_one_writer_shared_by_four_threads_keeps_every_add(tmp_path, store):
    import threading
    zoo = tmp_path / "zoo"
    writer = dpa.ZooWriter(zoo, LAYOUT, store=store)

    def add(thread):
        for k in range(250):
            w = np.full(76, thread * 1000 + k, np.float32)
            writer.add(w, run="r%d" % (thread * 1000 + k), step=0, test_accuracy=0.5, config={"epochs": 0})

    threads = [threading.Thread(target=add, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    assert zoo_info(zoo)["rows"] == 1000
    if store == "weights":  # each row's weights belong to its own metrics line
        weights = np.load(zoo / "weights.npy")
        runs = [json.loads(line)["modeldir"] for line in open(zoo / "metrics.jsonl")]
        assert runs == ["r%d" % int(row[0]) for row in weights]


def test_the_release_metrics_file_on_request(tmp_path):
    import csv
    import gzip
    zoo = tmp_path / "zoo"
    with dpa.ZooWriter(zoo, LAYOUT, release_metrics=True) as w:
        add_runs(w, 3)
    rows = list(csv.DictReader(gzip.open(zoo / "metrics.csv.gz", "rt")))
    lines = [json.loads(line) for line in open(zoo / "metrics.jsonl")]
    assert len(rows) == len(lines) == 12
    assert [r["modeldir"] for r in rows] == [line["modeldir"] for line in lines]
    assert [float(r["test_accuracy"]) for r in rows] == [line["test_accuracy"] for line in lines]
    assert rows[0][""] == "run000/permanent_ckpt-0" and rows[0]["config.optimizer"] == "adam"
    with dpa.ZooWriter(zoo, LAYOUT) as w:  # an add makes the export stale: it is removed
        add_runs(w, 1, first=3)
    assert not (zoo / "metrics.csv.gz").exists() and zoo_info(zoo)["rows"] == 16


def test_a_metric_too_small_for_a_double_reads_as_one_too_small_for_a_float(tmp_path):
    zoo = tmp_path / "zoo"
    with dpa.ZooWriter(zoo, LAYOUT) as w:
        for k, tiny in enumerate((1e-50, 1e-320)):
            w.add(np.zeros(76, np.float32), run="r%d" % k, step=0, test_accuracy=0.5, train_loss=tiny,
                  config={"epochs": 0})
    assert zoo_info(zoo)["rows"] == 2
