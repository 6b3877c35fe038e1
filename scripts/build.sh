#!/usr/bin/env bash
# Configures and builds into build/ (Release): everything, or the targets named
# (scripts/run.sh builds `dpa` alone).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset host > /dev/null
cmake --build build -j "$(nproc)" ${1:+--target "$@"}
