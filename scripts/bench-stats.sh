#!/usr/bin/env bash
# Statistics benchmark: the 56 paper statistics of one zoo vector per kernel, as ratios against
# a straightforward nth_element implementation measured in the same run. [--json]
exec "$(dirname "$0")/run-bench.sh" bench_stats BM_StatsBaselineNthElement "$@"
