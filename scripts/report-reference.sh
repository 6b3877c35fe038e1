#!/usr/bin/env bash
# docs/paper-comparison.md's comparison: `dpa report` on the reference zoo (../shared/zoo/fmnist-ref, trained
# with PyTorch) and a second collection grown here by `dpa zoo train` on Fashion-MNIST with another
# seed and a 24,000-image training pool (600 runs, the reference zoo's budget otherwise; about
# 15 minutes on 2 cores, kept in build/fmnist-grown and resumed if interrupted).
# Usage: scripts/report-reference.sh [OUT_DIR (default docs/report)] [THREADS]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/report}
threads=${2:-$(nproc)}
ref=../shared/zoo/fmnist-ref
grown=build/fmnist-grown
[ -d "$ref" ] || { echo "no reference zoo at $ref" >&2; exit 1; }
DPA_EXTRA_PACKAGES="dataset-fashion-mnist" scripts/install-deps.sh
scripts/build.sh > /dev/null
# A finished job resumes to nothing; an interrupted one goes on after its last whole run. (A zoo
# grown by an earlier dpa, with metrics.csv.gz, is used as it is.)
if [ ! -f "$grown/metrics.csv.gz" ]; then
  build/dpa zoo train --data /usr/share/datasets/fashion-mnist -o "$grown" --runs 600 --epochs 12 \
    --checkpoints 0,1,2,3,4,6,8,10,12 --batch 128 --train-pool 24000 --test-images 5000 --seed 2027 \
    --threads "$threads"
fi
build/dpa report "$ref" "$grown" -o "$out" --threads "$threads" --inputs all
