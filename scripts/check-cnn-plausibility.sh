#!/usr/bin/env bash
# The C++ trainer really learns: fixed seed, Adam lr 1e-3, relu, no dropout, he_normal, full
# Fashion-MNIST (Debian dataset-fashion-mnist), 5 epochs -> test accuracy must reach 0.75.
# Also reports the training throughput (images per second, one core).
set -euo pipefail
cd "$(dirname "$0")/.."
DPA_EXTRA_PACKAGES="dataset-fashion-mnist" scripts/install-deps.sh
scripts/build.sh > /dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
build/dpa zoo train --data /usr/share/datasets/fashion-mnist -o "$out/zoo" --runs 1 --epochs 5 \
  --checkpoints 5 --optimizer adam --learning-rate 1e-3 --activation relu --dropout 0 --l2 0 \
  --w-init he_normal --train-fraction 1 --threads 1 --seed 0 2> /dev/null
end=$(date +%s.%N)
python3 - "$out/zoo/metrics.jsonl" "$start" "$end" <<'PY'
import json, sys
row = [json.loads(line) for line in open(sys.argv[1])][-1]
acc = float(row["test_accuracy"])
seconds = float(sys.argv[3]) - float(sys.argv[2])
# 5 epochs of 60000 images trained, plus one evaluation of 10000 test and 5000 train images.
print("test accuracy after 5 epochs: %.4f (needs >= 0.75); %.1f s, about %.0f training images/s on one core"
      % (acc, seconds, 300000 / seconds))
sys.exit(0 if acc >= 0.75 else 1)
PY
