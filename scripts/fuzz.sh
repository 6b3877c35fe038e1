#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) and runs each for a bounded time from the
# committed seed corpus (tests/fuzz/corpus). New inputs go to a scratch copy, never the repo.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (CI: 45 s each; longer runs by hand)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
DPA_EXTRA_PACKAGES="clang libclang-rt-14-dev" scripts/install-deps.sh
cmake --preset fuzz > /dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_model fuzz_stats fuzz_npy fuzz_csv fuzz_import
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for pair in model:fuzz_model stats:fuzz_stats npy:fuzz_npy csv:fuzz_csv import:fuzz_import; do
  corpus=${pair%%:*} target=${pair##*:}
  mkdir -p "$work/$corpus"
  cp tests/fuzz/corpus/"$corpus"/* "$work/$corpus/"
  if ! build-fuzz/tests/fuzz/$target "$work/$corpus" -max_total_time="$seconds" -max_len=8192 \
      -print_final_stats=1 -artifact_prefix="$work/" > "$work/$target.log" 2>&1; then
    status=1
    echo "$target: FAILED" >&2
    tail -40 "$work/$target.log" >&2
    cp "$work"/crash-* "$work"/leak-* "$work"/timeout-* . 2> /dev/null || true
  fi
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$target.log" | grep -o '[0-9]*$' || echo 0)
  echo "$target: $runs executions in ${seconds}s, corpus $(ls "$work/$corpus" | wc -l) inputs"
done
exit $status
