"""dpa.Model and dpa.stats against the dpa binary: the same runtime, the same numbers."""
import csv
import gzip
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import dpa
from conftest import MINI_ZOO, dpa_binary, run_dpa


def mini_zoo():
    weights = np.load(os.path.join(MINI_ZOO, "weights.npy"))
    with gzip.open(os.path.join(MINI_ZOO, "metrics.csv.gz"), "rt") as f:
        rows = list(csv.DictReader(f))
    return weights, rows


def dpa_predict(model_path, weights, tmp_path, metrics=None):
    np.save(tmp_path / "w.npy", weights)
    args = ["predict", model_path, str(tmp_path / "w.npy"), "-o", str(tmp_path / "p.npy")]
    if metrics:
        args += ["--metrics", metrics]
    run_dpa(*args)
    return np.load(tmp_path / "p.npy").ravel()


def test_predictions_equal_dpa_predict_bit_for_bit(models, tmp_path):
    weights, _ = mini_zoo()
    rows = np.resize(weights, (300, weights.shape[1]))
    model = dpa.Model(models["weights"])
    many = model.predict(rows)
    assert many.dtype == np.float32 and many.shape == (300,)
    assert np.array_equal(many.view(np.uint32), dpa_predict(models["weights"], rows, tmp_path).view(np.uint32))
    one = np.array([model.predict(r) for r in rows[:20]], dtype=np.float32)
    assert np.array_equal(one.view(np.uint32), many[:20].view(np.uint32))


def test_context_by_name_equals_dpa_predict_with_metrics(models, tmp_path):
    weights, rows = mini_zoo()
    model = dpa.Model(models["context"])
    assert "config.optimizer" in model.context_names
    optimizer = next(i for i in model.inputs if i["name"] == "config.optimizer")
    assert optimizer["kind"] == "categorical" and optimizer["categories"] == ["adam", "rmsprop", "sgd"]
    context = {i["name"]: [r[i["name"]] if i["kind"] == "categorical" else float(r[i["name"]]) for r in rows]
               for i in model.inputs}
    ours = model.predict(weights, context)
    theirs = dpa_predict(models["context"], weights, tmp_path, os.path.join(MINI_ZOO, "metrics.csv.gz"))
    assert np.array_equal(ours.view(np.uint32), theirs.view(np.uint32))
    first = {name: values[0] for name, values in context.items()}
    assert model.predict(weights[0], first) == ours[0]
    # An optimizer the model never saw has a code of its own: a prediction, not an error, with the
    # CLI's warning.
    with pytest.warns(dpa.DpaWarning, match="1 of 1 rows lie outside .*config.optimizer a category it never saw"):
        assert np.isfinite(model.predict(weights[0], dict(first, **{"config.optimizer": "lion"})))


def test_context_outside_the_trained_ranges_warns_as_the_cli_does(models, tmp_path):
    """#28 item 7: Python warns where the CLI warns, with the same words."""
    weights, rows = mini_zoo()
    model = dpa.Model(models["context"])
    context = {i["name"]: [r[i["name"]] if i["kind"] == "categorical" else float(r[i["name"]]) for r in rows[:5]]
               for i in model.inputs}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # values the model was trained on: no warning
        model.predict(weights[:5], context)
    context["config.learning_rate"] = [10.0] * 5
    with pytest.warns(dpa.DpaWarning) as caught:
        model.predict(weights[:5], context)
    python_says = str(caught[0].message)
    assert python_says.startswith("5 of 5 rows lie outside what the model was trained on: config.learning_rate above")
    # The CLI's warning on the same rows.
    with open(tmp_path / "m.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(context))
        w.writeheader()
        for k in range(5):
            w.writerow({name: values[k] for name, values in context.items()})
    np.save(tmp_path / "w.npy", weights[:5])
    cli = subprocess.run([dpa_binary(), "predict", models["context"], str(tmp_path / "w.npy"), "--metrics",
                          str(tmp_path / "m.csv")], capture_output=True, text=True)
    assert "warning: " + python_says in cli.stderr, (python_says, cli.stderr)
    # A category given as its code is a number, not a name: said, and predicted as unseen.
    first = {name: values[0] for name, values in context.items()}
    first["config.learning_rate"] = float(rows[0]["config.learning_rate"])
    with pytest.warns(dpa.DpaWarning, match="'config.optimizer' is a category, given by name"):
        model.predict(weights[0], dict(first, **{"config.optimizer": 0}))


def test_model_takes_bytes_or_a_path_never_a_size():
    """#28 item 15: Model(10**11) allocated 100 GB of zeros before failing."""
    with pytest.raises(TypeError, match="a path or the bytes of a .dpa file, not int"):
        dpa.Model(10 ** 11)


def test_inputs_are_converted_or_refused_never_reinterpreted(models):
    weights, _ = mini_zoo()
    model = dpa.Model(models["weights"])
    as32 = model.predict(weights[0])
    assert model.predict(weights[0].astype(np.float64)) == as32
    assert model.predict(weights[:4, :].T.copy().T[0]) == as32  # a non-contiguous view
    with pytest.raises(TypeError, match="floating-point"):
        model.predict(weights[0].astype(np.int32))
    with pytest.raises(ValueError, match="4969 values per row; the model takes 4970"):
        model.predict(weights[0][:-1])


def test_a_context_model_never_predicts_without_its_context(models):
    weights, _ = mini_zoo()
    model = dpa.Model(models["context"])
    with pytest.raises(ValueError, match="reads 12 context values"):
        model.predict(weights[0])
    with pytest.raises(KeyError, match="context lacks"):
        model.predict(weights[0], {"step": 12})
    with pytest.raises(dpa.DpaError, match="NaN or Inf"):
        model.predict(weights[0], np.full(12, np.nan, dtype=np.float32))


def test_non_finite_rows_are_nan_in_a_batch(models):
    weights, _ = mini_zoo()
    rows = weights[:3].copy()
    rows[1, 7] = np.inf
    p = dpa.Model(models["weights"]).predict(rows)
    assert np.isfinite(p[0]) and np.isnan(p[1]) and np.isfinite(p[2])


def test_stats_equal_dpa_features(tmp_path):
    weights, _ = mini_zoo()
    run_dpa("features", MINI_ZOO, "-o", str(tmp_path / "f.npy"))
    features = np.load(tmp_path / "f.npy")
    for r in (0, 17, 399):
        assert np.array_equal(dpa.stats(weights[r]).ravel().view(np.uint32), features[r].view(np.uint32))
    assert dpa.stats(weights[0], set="extended").shape == (8, 14)
    assert dpa.stats_names()[:2] == ["q0", "q25"]


def test_model_metadata_layout_and_errors(models, tmp_path):
    model = dpa.Model(models["weights"])
    assert model.predictor == "sparse-gbdt" and model.target == "test_accuracy"  # the smaller layout
    assert model.layout == dpa.zoo_layout() and model.weights_length == 4970
    assert model.metadata["stats"] == "paper"
    assert model.scratch_size > 0
    with pytest.raises(ValueError, match="segment 0"):
        model.check_layout([dpa.Segment(0, 144, "kernel")] + dpa.zoo_layout()[1:])
    bad = bytearray(open(models["weights"], "rb").read())
    bad[200] ^= 0x55
    with pytest.raises(dpa.DpaError, match="checksum"):
        dpa.Model(bytes(bad))


def test_names_that_are_not_utf8_load_and_predict(tmp_path):
    """dpa train writes a zoo's names as bytes; a latin-1 category loads, and predicts as the CLI does."""
    import shutil
    zoo = tmp_path / "zoo"
    shutil.copytree(MINI_ZOO, zoo)
    with gzip.open(zoo / "metrics.csv.gz", "rb") as f:
        text = f.read().replace(b"rmsprop", b"rmspr\xe9p")  # not UTF-8
    with gzip.open(zoo / "metrics.csv.gz", "wb") as f:
        f.write(text)
    path = str(tmp_path / "m.dpa")
    run_dpa("train", str(zoo), "-o", path, "--trees", "10", "--context", "config.optimizer")
    model = dpa.Model(path)
    categories = model.inputs[0]["categories"]
    odd = [c for c in categories if c.startswith("rmspr")][0]
    assert odd.encode("utf-8", "surrogateescape") == b"rmspr\xe9p"
    weights, _ = mini_zoo()
    by_text = model.predict(weights[0], {"config.optimizer": odd})
    by_bytes = model.predict(weights[0], {"config.optimizer": b"rmspr\xe9p"})
    (tmp_path / "m.csv").write_bytes(b"config.optimizer\nrmspr\xe9p\n")
    cli = dpa_predict(path, weights[:1], tmp_path, str(tmp_path / "m.csv"))
    assert by_text == by_bytes == cli[0]


def test_the_installed_package_brings_the_dpa_command():
    # pip install ./python puts `dpa` (the C++ host tool, shipped as dpa/bin/dpa) beside python.
    command = os.path.join(os.path.dirname(sys.executable), "dpa")
    assert os.access(command, os.X_OK), "pip install ./python should install the dpa command at %s" % command
    out = subprocess.run([command, "zoo", "info", MINI_ZOO, "--json"], check=True, capture_output=True, text=True)
    assert json.loads(out.stdout)["rows"] == 400
    # `dpa sweep` reads a SweepPruner study back from Optuna's storage (dpa.sweep).
    out = subprocess.run([command, "sweep", "--help"], check=True, capture_output=True, text=True)
    assert "explain" in out.stdout and "draw" in out.stdout
