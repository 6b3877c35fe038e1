#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
# What the tree holds before: the suite must leave it as it found it (nothing generated is left
# beside the sources; outputs go to build/ and temporary directories).
tree_before=$(git status --porcelain --untracked-files=all 2> /dev/null || true)
scripts/build.sh
# Each test as it ends, and which ones are still running when none has ended for 8 s.
python3 scripts/ctest-progress.py --test-dir build --output-on-failure -j "$(nproc)"
# The Python package: installed into a fresh venv with pip, then its pytest suite.
scripts/test-python.sh
tree_after=$(git status --porcelain --untracked-files=all 2> /dev/null || true)
if [ "$tree_after" != "$tree_before" ]; then
  echo "test.sh: the test suite changed the source tree (generated files must go to build/ or a temporary):" >&2
  diff <(echo "$tree_before") <(echo "$tree_after") >&2 || true
  exit 1
fi
