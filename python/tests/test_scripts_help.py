"""Every command-line script of scripts/ answers --help with its usage and exit 0 (a stray % in a
help string once made argparse raise instead)."""
import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT

SCRIPTS = os.path.join(ROOT, "scripts")


def has_command_line(name):
    with open(os.path.join(SCRIPTS, name)) as f:
        return re.search(r"^import argparse", f.read(), re.M) is not None


COMMAND_LINE_SCRIPTS = sorted(name for name in os.listdir(SCRIPTS) if name.endswith(".py") and has_command_line(name))


def test_the_scripts_with_a_command_line_are_found():
    assert "sweep-live-replay.py" in COMMAND_LINE_SCRIPTS and len(COMMAND_LINE_SCRIPTS) >= 8


@pytest.mark.parametrize("name", COMMAND_LINE_SCRIPTS)
def test_a_script_answers_help(name):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.path.join(ROOT, "python"),
                                                                     os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, os.path.join(SCRIPTS, name), "--help"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ")
