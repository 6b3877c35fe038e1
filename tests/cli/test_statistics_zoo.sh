#!/usr/bin/env bash
# A statistics zoo (dpa zoo stats) against the zoo it was made from: every command that reads
# statistics gives the same bytes (models bit for bit, with context, both statistics sets),
# commands that need the weights refuse it in one line, and the converter never writes into a
# directory that holds anything.
# Usage: test_statistics_zoo.sh DPA_BINARY MINI_ZOO SOURCE_DIR
set -uo pipefail
dpa=$1 zoo=$2 source=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$source/tests/cli/checks.sh"

# Both zoos under the same relative name, so that the provenance models record is the same: the
# mini zoo with each network as checkpoints 0, 1, 2 of its run (derive_zoo.py curves).
mkdir -p "$tmp/full/zoo" "$tmp/stats"
python3 "$source/tests/cli/derive_zoo.py" "$zoo" "$tmp/full/zoo" curves
check "zoo stats" "$dpa" zoo stats "$tmp/full/zoo" -o "$tmp/stats/zoo" --json
check "zoo stats reports its rows" contains "$tmp/last" '"rows":'
expect "no weights in a statistics zoo" test ! -e "$tmp/stats/zoo/weights.npy"
expect "statistics zoo is at most a fifth of the zoo" python3 -c "
import os, sys
size = lambda d: sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
sys.exit(size(sys.argv[1]) * 5 > size(sys.argv[2]))" "$tmp/stats/zoo" "$tmp/full/zoo"
check "zoo info of a statistics zoo" "$dpa" zoo info "$tmp/stats/zoo" --json
expect "zoo info says statistics" contains "$tmp/last" '"stores":"statistics"'
expect "zoo info has 400 runs" contains "$tmp/last" '"runs":400'
expect "zoo info has 1200 rows" contains "$tmp/last" '"rows":1200'

# Same models, byte for byte.
same_model() {  # same_model NAME TRAIN_ARGS...
  local name=$1; shift
  (cd "$tmp/full" && "$dpa" train zoo -o "$name.dpa" "$@" > /dev/null 2>&1)
  (cd "$tmp/stats" && "$dpa" train zoo -o "$name.dpa" "$@" > /dev/null 2>&1)
  expect "$name: trained on both" test -s "$tmp/full/$name.dpa" -a -s "$tmp/stats/$name.dpa"
  expect "$name: the same model bytes" cmp -s "$tmp/full/$name.dpa" "$tmp/stats/$name.dpa"
}
same_model paper --trees 40
same_model extended-context --stats extended --trees 40 --checkpoints all --target final_test_accuracy \
  --context step,train_loss,hyper
same_model linear --model linear --context hyper
same_model mlp --model mlp --stats extended

# The same evaluations, predictions and replays.
same_output() {  # same_output NAME ARGS... with ZOO standing for the zoo
  local name=$1; shift
  (cd "$tmp/full" && "$dpa" "$@" > "$name.out" 2> /dev/null)
  (cd "$tmp/stats" && "$dpa" "$@" > "$name.out" 2> /dev/null)
  expect "$name: output" test -s "$tmp/full/$name.out"
  # Timings aside.
  expect "$name: the same output" cmp -s <(sed 's/"seconds":[0-9.e+-]*//' "$tmp/full/$name.out") \
    <(sed 's/"seconds":[0-9.e+-]*//' "$tmp/stats/$name.out")
}
same_output eval eval extended-context.dpa zoo --json --all-runs
same_output eval-held-out eval paper.dpa zoo --json
same_output early-stop early-stop zoo --folds 2 --context hyper --json
same_output early-stop-model early-stop zoo --model extended-context.dpa --json
# The sweep learner's replay: the same decisions from the statistics as from the weights.
same_output in-sweep early-stop zoo --in-sweep --trials 120 --orders 2 --percentile 50 --json
expect "in-sweep: every rule" contains "$tmp/stats/in-sweep.out" '"signal":"successive_halving"'
expect "in-sweep: the learner's rule" contains "$tmp/stats/in-sweep.out" '"signal":"in_sweep"'
expect_exit "in-sweep: too few runs" 1 "fewer than --trials" "$dpa" early-stop "$tmp/stats/zoo" --in-sweep --trials 401
expect_exit "in-sweep: not with a model" 2 "learns its own predictor" "$dpa" early-stop "$tmp/stats/zoo" --in-sweep --model x.dpa
expect_exit "in-sweep options alone" 2 "goes with --in-sweep" "$dpa" early-stop "$tmp/stats/zoo" --trials 10
(cd "$tmp/full" && "$dpa" features zoo -o features.npy --stats extended > /dev/null 2>&1)
(cd "$tmp/stats" && "$dpa" features zoo -o features.npy --stats extended > /dev/null 2>&1)
expect "features: the same npy" cmp -s "$tmp/full/features.npy" "$tmp/stats/features.npy"

# Finite weights whose statistics overflow (l2_norm of ±3e38 is +Inf): one definition of a
# non-finite row for both zoos; such rows are left out, never predicted on.
mkdir -p "$tmp/huge-full" "$tmp/huge-stats"
python3 "$source/tests/cli/edit_zoo.py" "$zoo" "$tmp/huge-full/zoo" huge-weights
check "zoo stats of overflowing weights" "$dpa" zoo stats "$tmp/huge-full/zoo" -o "$tmp/huge-stats/zoo"
for kind in full stats; do
  check "zoo info ($kind, overflowing statistics)" "$dpa" zoo info "$tmp/huge-$kind/zoo" --json
  expect "zoo info ($kind) counts 10 non-finite rows" contains "$tmp/last" '"non_finite_rows":10'
  (cd "$tmp/huge-$kind" && "$dpa" train zoo -o extended.dpa --stats extended --trees 20 > "$tmp/huge-$kind.out" 2>&1)
  expect "train --stats extended ($kind) leaves those rows out" test -s "$tmp/huge-$kind/extended.dpa"
done
expect "the same model from both" cmp -s "$tmp/huge-full/extended.dpa" "$tmp/huge-stats/extended.dpa"

# What needs the weights says so.
expect_exit "raw inputs refused" 1 "a statistics zoo (statistics.npy, no weights.npy)" \
  "$dpa" train "$tmp/stats/zoo" -o "$tmp/raw.dpa" --inputs raw
expect "nothing written" test ! -e "$tmp/raw.dpa"
expect_exit "already a statistics zoo" 1 "already a statistics zoo" "$dpa" zoo stats "$tmp/stats/zoo" -o "$tmp/again"
# Never into a directory that holds anything; what was there stays.
mkdir "$tmp/busy" && echo keep > "$tmp/busy/README.md"
expect_exit "non-empty output refused" 1 "not empty" "$dpa" zoo stats "$zoo" -o "$tmp/busy"
expect "what was there stays" test "$(cat "$tmp/busy/README.md")" = keep
expect "nothing added" test "$(ls -A "$tmp/busy")" = README.md
# A damaged description is named.
cp -r "$tmp/stats/zoo" "$tmp/bad"
echo '{"format":"dpa-statistics-zoo","version":1,"statistics":"paper"}' > "$tmp/bad/statistics.json"
expect_exit "damaged statistics.json" 1 "statistics.json: stores the 'paper' statistics" "$dpa" zoo info "$tmp/bad"
# weights_per_row below the layout's: named as statistics.json's, not as weights.npy's (there is none).
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["weights_per_row"] = 100; json.dump(d, open(sys.argv[1], "w"))' \
  "$tmp/stats/zoo/statistics.json"
expect_exit "weights_per_row below the layout's" 1 "but statistics.json's weights_per_row is 100 weights" \
  "$dpa" zoo info "$tmp/stats/zoo"
finish
