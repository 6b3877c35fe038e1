#!/usr/bin/env bash
# CNN trainer kernels: one image's convolutions (reference loops, blocked baseline, blocked AVX2)
# and a 512-image training batch, as ratios against the reference loops measured in the same run.
# The batch rows' ratio compares a whole batch with one image's convolutions: read their
# items_per_second instead (images per second). [--json]
exec "$(dirname "$0")/run-bench.sh" bench_cnn BM_ConvReference "$@"
