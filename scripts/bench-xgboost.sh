#!/usr/bin/env bash
# One-row prediction, 500 trees of depth 6 on 56 features: XGBoosterPredictFromDense against the
# runtime running the same trees imported, in each tree layout, in the same run. [--json]
set -euo pipefail
DPA_EXTRA_PACKAGES="libxgboost-dev" "$(dirname "$0")/install-deps.sh"
exec "$(dirname "$0")/run-bench.sh" bench_xgboost BM_XGBoosterPredictFromDense_OneRow "$@"
