"""The `dpa` command of the pip-installed package: the C++ host tool built with it (dpa/bin/dpa),
run with the same arguments (`dpa --help` lists its commands, docs/host-tool.md); `dpa sweep` reads
a SweepPruner study back from Optuna's storage (dpa.sweep)."""
import os
import sys

_BINARY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "dpa")


def main():
    if sys.argv[1:2] == ["sweep"]:  # a study read back from Optuna's storage: Python's side (dpa.sweep)
        from .sweep import main as sweep
        return sweep(sys.argv[2:])
    if not os.access(_BINARY, os.X_OK):
        sys.exit("dpa: %s is missing: reinstall the package (pip install --no-build-isolation ./python)" % _BINARY)
    os.execv(_BINARY, [_BINARY] + sys.argv[1:])


if __name__ == "__main__":
    main()
