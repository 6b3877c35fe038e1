#!/usr/bin/env bash
# Cross-compiles the runtime and its test suite for AArch64 and runs it under qemu-aarch64, so the
# NEON kernels are tested against the scalar reference for real.
set -euo pipefail
cd "$(dirname "$0")/.."
DPA_EXTRA_PACKAGES="g++-aarch64-linux-gnu qemu-user" scripts/install-deps.sh
cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
  -DDPA_BUILD_TOOLS=OFF -DDPA_BUILD_BENCH=OFF > /dev/null
cmake --build build-aarch64 -j "$(nproc)"
ctest --test-dir build-aarch64 --output-on-failure -j "$(nproc)"
