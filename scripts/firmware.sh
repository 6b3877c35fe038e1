#!/usr/bin/env bash
# Cortex-M4F: trains a model on the mini zoo (host), exports it with `dpa export-c`, builds the
# test firmware with the runtime for Cortex-M4F (-Os, no exceptions, no RTTI), runs it under
# qemu-system-arm -M mps2-an386 and checks its predictions (from weights and context values)
# against the host's, bit for bit;
# then reports the runtime's flash and RAM (scripts/firmware_size.py); then the same for the
# paper-set-only build (DPA_EXTENDED_STATS=OFF). Usage: scripts/firmware.sh [--json]
set -euo pipefail
cd "$(dirname "$0")/.."
DPA_EXTRA_PACKAGES="gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm" \
  scripts/install-deps.sh
scripts/build.sh > /dev/null
gen=build-cortex-m4/generated
mkdir -p "$gen"
build/dpa train tools/data/mini-zoo -o "$gen/model.dpa" --trees 100 --seed 1 --context hyper,train > /dev/null 2>&1
build/dpa export-c "$gen/model.dpa" -o "$gen/model.h" --name dpa_firmware_model
build/tests/make_firmware_vectors "$gen/model.dpa" tools/data/mini-zoo 4 "$gen/vectors.h"
cmake --preset firmware -DDPA_FIRMWARE_GENERATED="$PWD/$gen" > /dev/null
json=${1:-}
run_firmware() {  # BUILD_DIR: build, run under qemu (output to stderr with --json), check sizes
  cmake --build "$1" -j "$(nproc)" > /dev/null
  timeout 300 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial none \
    -semihosting-config enable=on,target=native -kernel "$1/firmware/check_predictions.elf" \
    > "$1/qemu.log" 2>&1 || { cat "$1/qemu.log" >&2; echo "firmware check failed" >&2; exit 1; }
  if [ -n "$json" ]; then cat "$1/qemu.log" >&2; else cat "$1/qemu.log"; fi
  python3 scripts/firmware_size.py "$1" "$(build/dpa inspect "$gen/model.dpa" --json)" $json
}
# The same with the paper statistics set alone (DPA_EXTENDED_STATS=OFF), the smallest runtime.
cmake --preset firmware-paper -DDPA_FIRMWARE_GENERATED="$PWD/$gen" > /dev/null
if [ -n "$json" ]; then
  default=$(run_firmware build-cortex-m4)  # an assignment: a failure stops the script
  paper=$(run_firmware build-cortex-m4-paper)
  printf '{"default": %s,\n "paper_set_only": %s}\n' "$default" "$paper"
else
  echo "running the firmware under qemu-system-arm -M mps2-an386:"
  run_firmware build-cortex-m4
  echo "built with -DDPA_EXTENDED_STATS=OFF (paper set only):"
  run_firmware build-cortex-m4-paper
fi
