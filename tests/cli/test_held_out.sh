#!/usr/bin/env bash
# Issue 28's "silently wrong" outputs: held-out runs chosen run by run after the zoo changed,
# missing context values (empty categories included), sets too small to measure, folds that hold
# no run. Each case: the documented outcome or a one-line error before any training.
# Usage: test_held_out.sh DPA_BINARY MINI_ZOO SOURCE_DIR
set -uo pipefail
dpa=$1 zoo=$2 source=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$source/tests/cli/checks.sh"
edit() { python3 "$source/tests/cli/edit_zoo.py" "$zoo" "$tmp/$1" "${@:2}"; }
json() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert $1, r" "$tmp/last"; }

# Item 3: a zoo that gained, lost or renamed runs still leaves the training runs out, and says so;
# a foreign zoo is scored whole.
check "a model of the mini zoo" "$dpa" train "$zoo" -o "$tmp/m.dpa" --trees 30
check "eval on its zoo" "$dpa" eval "$tmp/m.dpa" "$zoo" --json
same=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['excluded_runs'])" "$tmp/last")
edit grown add-runs 40
edit shrunk drop-runs 30
edit renamed rename-run
check "eval on the zoo grown by 40 runs" "$dpa" eval "$tmp/m.dpa" "$tmp/grown" --json
json "r['held_out_only'] and r['zoo_changed'] and r['excluded_runs'] >= $same and r['n'] < 120"
check "eval says the zoo changed" "$dpa" eval "$tmp/m.dpa" "$tmp/grown"
check "in text" contains "$tmp/last" "training and validation runs excluded.*The zoo has changed since the model was trained"
check "eval on the zoo less 30 runs" "$dpa" eval "$tmp/m.dpa" "$tmp/shrunk" --json
json "r['held_out_only'] and r['zoo_changed'] and 0 < r['excluded_runs'] < $same"
check "eval on the zoo with a run renamed" "$dpa" eval "$tmp/m.dpa" "$tmp/renamed" --json
json "r['held_out_only'] and r['zoo_changed'] and r['excluded_runs'] >= $same - 1"
mkdir "$tmp/curves" "$tmp/grown-curves"
python3 "$source/tests/cli/derive_zoo.py" "$zoo" "$tmp/curves" curves
python3 "$source/tests/cli/derive_zoo.py" "$tmp/grown" "$tmp/grown-curves" curves
check "a model of the final accuracy" "$dpa" train "$tmp/curves" -o "$tmp/final.dpa" --trees 30 \
  --target final_test_accuracy --checkpoints all
check "early-stop --model on that zoo grown by 40 runs" "$dpa" early-stop "$tmp/grown-curves" --model "$tmp/final.dpa" --at 1 --json
json "r['excluded_runs'] >= $same"
edit foreign rename-runs
check "eval on a foreign zoo (other runs of the same networks)" "$dpa" eval "$tmp/m.dpa" "$tmp/foreign" --json
json "not r['training_zoo'] and r['excluded_runs'] == 0 and r['n'] == 400"

# Item 4: an empty value in a column of categories is missing, not a category named ''.
edit half-optimizer blank config.optimizer half
check "train on a category missing in half the rows" "$dpa" train "$tmp/half-optimizer" -o "$tmp/o.dpa" \
  --context config.optimizer --trees 20 --json
json "r['dropped_missing_context'] == 200"
check "the rows left out are said" contains "$tmp/last_err" "warning: 200 rows left out: they miss a context value (config.optimizer in 200 rows)"
check "the model's categories hold no empty name" "$dpa" inspect "$tmp/o.dpa" --json
json "'' not in r['context'][0]['categories'] and len(r['context'][0]['categories']) == 3"
check "a model reading config.optimizer" "$dpa" train "$zoo" -o "$tmp/opt.dpa" --context config.optimizer --trees 20
check "eval leaves the rows with it missing out" "$dpa" eval "$tmp/opt.dpa" "$tmp/half-optimizer"
check "and says how many" contains "$tmp/last" "rows left out: NaN or infinite weights, or context values missing"
expect "no unseen-category warning for them" lacks "$tmp/last_err" "never saw"
check "predict --metrics predicts them NaN, saying so" "$dpa" predict "$tmp/opt.dpa" "$tmp/half-optimizer/weights.npy" \
  --metrics "$tmp/half-optimizer/metrics.csv.gz"
check "NaN, not an unseen category" contains "$tmp/last_err" "200 rows hold NaN/Inf weights, or context values missing"
edit long-category set config.optimizer "$(printf 'x%.0s' {1..200})"
expect_exit "a category over 128 bytes, before training" 1 "config.optimizer' has a value that is 200 bytes, more than the format's 128" \
  "$dpa" train "$tmp/long-category" -o "$tmp/l.dpa" --context config.optimizer
expect "before training: no progress line" lacks "$tmp/err" "training rows"

# Item 14: degenerate context columns.
edit all-missing blank config.dropout all
expect_exit "a column missing in every row" 1 "every one misses a context value (config.dropout in 400 rows)" \
  "$dpa" train "$tmp/all-missing" -o "$tmp/a.dpa" --context config.dropout
edit one-value blank config.dropout one
expect_exit "a column of one value: no run held out" 1 "no run was held out for testing (1 usable run; 399 rows miss a context value" \
  "$dpa" train "$tmp/one-value" -o "$tmp/a.dpa" --context config.dropout
edit constant constant-config
expect_exit "--inputs none --context hyper with no varying column" 2 "--context hyper found no column in .*constant/metrics.csv.gz" \
  "$dpa" train "$tmp/constant" -o "$tmp/a.dpa" --inputs none --context hyper
edit nan-weights nan-weights
check "eval with NaN weights in half the rows" "$dpa" eval "$tmp/m.dpa" "$tmp/nan-weights"
check "says how many rows it left out" contains "$tmp/last" "rows left out: NaN or infinite weights"
edit all-nan nan-weights all
expect_exit "eval on a zoo of NaN weights only: says so, not 'trained on every run'" 1 \
  "no usable rows for --checkpoints final; [0-9]* rows have non-finite features" "$dpa" eval "$tmp/m.dpa" "$tmp/all-nan"

# Item 5: metrics of sets too small to measure are n/a, never a number; no held-out run is an error.
check "100 folds of 400 runs" "$dpa" train "$zoo" -o "$tmp/cv.dpa" --cv 100 --trees 5
expect "no nan printed" lacks "$tmp/last" "nan"
check "folds that measure no R2 are named" contains "$tmp/last" "(R2 of [0-9]* folds; the others hold too few rows)"

# Item 5: a validation set of one run (29 runs, a final-accuracy target): R2 undefined, said as
# n/a with a warning, and early stopping said to rest on one run (before: "R2 nan", no warning).
edit runs29 drop-runs 371
mkdir "$tmp/curves29"
python3 "$source/tests/cli/derive_zoo.py" "$tmp/runs29" "$tmp/curves29" curves
check "29 runs, seed 3: one validation run" "$dpa" train "$tmp/curves29" -o "$tmp/v.dpa" --checkpoints all \
  --target final_test_accuracy --seed 3
expect "validation R2 n/a" contains "$tmp/last" "validation: R2 n/a  Kendall tau n/a  MAE 0"
expect "no nan" lacks "$tmp/last" "nan"
expect "warned: one target" contains "$tmp/last_err" "the validation set's 3 rows (1 run) share one target value"
expect "warned: early stopping on one run" contains "$tmp/last_err" "the validation set holds 1 run: early stopping (.* trees kept) rests on it"

# Item 15: a fold that holds no run is refused before any fold is trained.
edit few drop-runs 395
expect_exit "train --cv with an empty fold" 1 "fold [0-9]* of 20 holds none of the 5 runs" \
  "$dpa" train "$tmp/few" -o "$tmp/a.dpa" --cv 20 --trees 5
expect "before training" lacks "$tmp/err" "fold 1/20"
mkdir "$tmp/few-curves"
python3 "$source/tests/cli/derive_zoo.py" "$tmp/few" "$tmp/few-curves" curves
expect_exit "early-stop --folds with an empty fold" 1 "holds none of the 5 runs, so it would test nothing" \
  "$dpa" early-stop "$tmp/few-curves" --at 1 --folds 20
expect "before training" lacks "$tmp/err" "training on the other folds"

finish
