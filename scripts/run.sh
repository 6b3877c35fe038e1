#!/usr/bin/env bash
# The README's main command: build, then run the main job on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh > /dev/null
exec build/dpa demo "$@"
