"""Fixtures: models trained on the repository's mini zoo by the dpa binary of this checkout."""
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MINI_ZOO = os.path.join(ROOT, "tools", "data", "mini-zoo")


def dpa_binary():
    path = os.environ.get("DPA_BINARY", os.path.join(ROOT, "build", "dpa"))
    if not os.path.isfile(path):
        pytest.fail("the dpa binary is needed (%s): build the repository first (scripts/build.sh)" % path)
    return path


def run_dpa(*args):
    return subprocess.run([dpa_binary(), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    out = {"weights": str(d / "weights.dpa"), "context": str(d / "context.dpa"), "final": str(d / "final.dpa")}
    run_dpa("train", MINI_ZOO, "-o", out["weights"], "--trees", "30")
    run_dpa("train", MINI_ZOO, "-o", out["context"], "--trees", "30", "--context", "hyper,train")
    run_dpa("train", MINI_ZOO, "-o", out["final"], "--trees", "30", "--context", "step,config.optimizer",
            "--target", "final_test_accuracy")
    return out
