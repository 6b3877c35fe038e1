#!/usr/bin/env bash
# Prediction benchmark: 500 trees of depth 6 on the 56 paper statistics, one row; the flat trees
# as a ratio against node-by-node traversal measured in the same run. [--json]
exec "$(dirname "$0")/run-bench.sh" bench_predict BM_TreesPointerChasing_500Trees "$@"
