#!/usr/bin/env bash
# Cross-compiles the runtime and its test suite for AArch64 and runs it under qemu-aarch64, so the
# NEON kernels are tested against the scalar reference for real.
set -euo pipefail
cd "$(dirname "$0")/.."
DPA_EXTRA_PACKAGES="g++-aarch64-linux-gnu qemu-user" scripts/install-deps.sh
cmake --preset aarch64 > /dev/null
cmake --build build-aarch64 -j "$(nproc)"
ctest --test-dir build-aarch64 --output-on-failure -j "$(nproc)"
