#!/usr/bin/env bash
# The GBDT split search on nodes the size of the sweep learner's (54 features x 256 bins; 1,600,
# 400 and 100 rows): the screened search against the scan computing every gain, in the same
# run. [--json]
exec "$(dirname "$0")/run-bench.sh" bench_split_search BM_Rows1600_EveryGain,BM_Rows400_EveryGain,BM_Rows100_EveryGain "$@"
