#!/usr/bin/env bash
# Do networks trained by `dpa zoo train` look like the reference zoo's (PyTorch-trained)?
# A predictor trained on half of ../shared/zoo/fmnist-ref ranks (a) the other half and (b) a zoo
# grown here with the same budget (12 epochs, 12000-image pool, batch 128, 5000 test images);
# the two Kendall taus should be within 0.05. Usage: scripts/compare-grown-zoo.sh [RUNS] [GROWN_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-60}
grown=${2:-build/grown-zoo}
ref=../shared/zoo/fmnist-ref
DPA_EXTRA_PACKAGES="dataset-fashion-mnist" scripts/install-deps.sh
scripts/build.sh > /dev/null
build/dpa zoo train --data /usr/share/datasets/fashion-mnist -o "$grown" --runs "$runs" --epochs 12 \
  --checkpoints 0,1,2,3,4,6,8,10,12 --batch 128 --train-pool 12000 --test-images 5000 --seed 2026
build/dpa train "$ref" -o build/reference-final.dpa --test-fraction 0.5 --validation-fraction 0.1 --json \
  2> /dev/null > build/reference-train.json
build/dpa eval build/reference-final.dpa "$grown" --json > build/grown-eval.json
python3 - build/reference-train.json build/grown-eval.json <<'PY'
import json, sys
ref = json.load(open(sys.argv[1]))["test"]
grown = json.load(open(sys.argv[2]))
gap = abs(ref["kendall_tau"] - grown["kendall_tau"])
print("Kendall tau on held-out reference runs: %.3f (n %d); on the grown zoo: %.3f (n %d); gap %.3f (goal <= 0.05)"
      % (ref["kendall_tau"], ref["n"], grown["kendall_tau"], grown["n"], gap))
print("R2: reference %.3f, grown %.3f" % (ref["r2"], grown["r2"]))
PY
