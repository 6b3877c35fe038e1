#!/usr/bin/env bash
# The Python package, as a user installs it: a fresh venv (with the system's numpy, torch, optuna),
# `pip install --no-build-isolation ./python` offline (it builds libdpa.so with CMake), then its
# pytest suite against this checkout's dpa binary (scripts/build.sh builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
DPA_EXTRA_PACKAGES="python3-venv python3-pip python3-setuptools python3-wheel python3-numpy python3-pytest" \
  scripts/install-deps.sh
venv=build/python-venv
rm -rf "$venv" python/build python/dpa.egg-info
echo "python: a fresh venv, then pip install --no-build-isolation ./python (offline, reusing build/) ..."
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install --quiet --no-build-isolation --no-index ./python
rm -rf python/build python/dpa.egg-info  # in-tree build leftovers
# Run from the tests folder: `import dpa` is the installed package, not the source tree.
cd python/tests
echo "python: pytest"
DPA_BINARY="$PWD/../../build/dpa" "../../$venv/bin/python" -m pytest -q -p no:cacheprovider .
