#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
# Each test as it ends, and which ones are still running when none has ended for 8 s.
python3 scripts/ctest-progress.py --test-dir build --output-on-failure -j "$(nproc)"
# The Python package: installed into a fresh venv with pip, then its pytest suite.
scripts/test-python.sh
