#!/usr/bin/env bash
# CNN trainer kernels: one image's convolutions (reference loops, blocked baseline, blocked AVX2)
# and a 512-image training batch, as ratios against the reference loops measured in the same run.
# A batch row's time is for 512 images: divide by 512 to compare it with one image. [--json]
exec "$(dirname "$0")/run-bench.sh" bench_cnn BM_ConvReference "$@"
