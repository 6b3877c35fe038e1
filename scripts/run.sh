#!/usr/bin/env bash
# The README's main command: build what the demo needs (the dpa binary; its progress on stderr),
# then run the main job on the embedded default. scripts/test.sh builds the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "building dpa into build/ (the first time takes about a minute) ..." >&2
scripts/build.sh dpa >&2
exec build/dpa demo --zoo tools/data/mini-zoo --workdir build/demo "$@"
