#!/usr/bin/env bash
# The README's main command: build (its progress on stderr: the first build takes minutes), then
# run the main job on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "building into build/ (the first time takes a few minutes) ..." >&2
scripts/build.sh >&2
exec build/dpa demo --zoo tools/data/mini-zoo --workdir build/demo "$@"
