#!/usr/bin/env bash
# Prediction benchmark: 500 trees of depth 6 on the 56 paper statistics, one row, in each tree
# layout, for random nearly complete trees (BM_Trees*) and trees trained on the mini zoo
# (BM_Trained*): the trees alone (and a node-by-node traversal) as ratios against the complete
# layout's walk of the same trees, end to end (statistics included) against the complete layout
# end to end, all measured in the same run (speedup < 1: slower than the baseline). [--json]
exec "$(dirname "$0")/run-bench.sh" bench_predict \
  BM_TreesComplete_500Trees,BM_TrainedComplete_500Trees,BM_PredictEndToEndComplete_500Trees "$@"
