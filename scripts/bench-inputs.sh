#!/usr/bin/env bash
# What a model's inputs cost, in the same run: end-to-end prediction (500 trees of depth 6) with 10
# context values against the statistics alone; a 1024-segment layout through a verified model
# against the layout checked on every call. [--json]
exec "$(dirname "$0")/run-bench.sh" bench_inputs BM_Context_WeightsOnly_500Trees,BM_Layout1024_CheckedEachCall "$@"
