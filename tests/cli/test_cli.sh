#!/usr/bin/env bash
# End-to-end checks of the dpa CLI on the embedded mini zoo: every subcommand, JSON output,
# exit codes of bad usage (2) and bad input (1), no half-written outputs, and an exported C
# header compiled into a firmware-like program predicting what `dpa predict` predicts.
# Usage: test_cli.sh DPA_BINARY MINI_ZOO RUNTIME_INCLUDE RUNTIME_LIBRARY SOURCE_DIR C_COMPILER
set -uo pipefail
dpa=$1 zoo=$2 include=$3 library=$4 source=$5 cc=$6
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$source/tests/cli/checks.sh"

check "help" "$dpa" --help
check "command help" "$dpa" train --help
expect_exit "unknown command" 2 "unknown command" "$dpa" frobnicate
expect_exit "unknown option" 2 "unknown option '--bogus'" "$dpa" train "$zoo" -o "$tmp/m.dpa" --bogus
expect_exit "missing zoo" 2 "missing ZOO_DIR" "$dpa" train -o "$tmp/m.dpa"
expect_exit "bad stats set" 2 "paper' or 'extended" "$dpa" train "$zoo" -o "$tmp/m.dpa" --stats fancy
expect_exit "bad number" 2 "is not an integer" "$dpa" train "$zoo" -o "$tmp/m.dpa" --trees many
expect_exit "zoo not found" 1 "cannot open" "$dpa" train "$tmp/nowhere" -o "$tmp/m.dpa"
[ ! -e "$tmp/m.dpa" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAILED: output left after errors"; }

# Results on a full disk are an error, not a success with part of the lines.
if [ -w /dev/full ]; then
  "$dpa" zoo info "$zoo" > /dev/full 2> "$tmp/err"; code=$?
  if [ "$code" -eq 1 ] && grep -q "writing to standard output failed" "$tmp/err"; then passed=$((passed + 1)); else
    failed=$((failed + 1)); echo "FAILED: stdout on a full disk (exit $code)"; cat "$tmp/err"; fi
else
  echo "not run here: stdout on a full disk (no writable /dev/full)"
fi
# An output naming an input is refused before anything is written; the input stays as it was.
cp -r "$zoo" "$tmp/own"
before=$(cksum < "$tmp/own/weights.npy")
expect_exit "features over its own weights" 1 "is an input of this command" "$dpa" features "$tmp/own" -o "$tmp/own/weights.npy"
expect_exit "train over the zoo's metrics" 1 "is an input of this command" "$dpa" train "$tmp/own" -o "$tmp/own/metrics.csv.gz" --trees 5
[ "$(cksum < "$tmp/own/weights.npy")" = "$before" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAILED: weights changed"; }
expect_exit "a FIFO as the layout" 1 "a FIFO, not a regular file" sh -c "rm '$tmp/own/layout.csv' && mkfifo '$tmp/own/layout.csv' && exec '$dpa' zoo info '$tmp/own'"
check "zoo info" "$dpa" zoo info "$zoo" --json
check "zoo info has 400 runs" contains "$tmp/last" '"runs":400'
check "train gbdt" "$dpa" train "$zoo" -o "$tmp/m.dpa" --trees 60 --json
check "train json has test metrics" contains "$tmp/last" '"test":{"n":'
check "train linear" "$dpa" train "$zoo" -o "$tmp/linear.dpa" --model linear
check "train mlp" "$dpa" train "$zoo" -o "$tmp/mlp.dpa" --model mlp --stats extended
check "inspect" "$dpa" inspect "$tmp/m.dpa" --json
check "inspect names the predictor" contains "$tmp/last" '"predictor":"sparse-gbdt"'
check "inspect again" "$dpa" inspect "$tmp/m.dpa" --json
check "inspect reports bytes per tree" contains "$tmp/last" '"bytes_per_tree":'
check "train complete trees" "$dpa" train "$zoo" -o "$tmp/complete.dpa" --trees 60 --tree-layout complete
check "inspect complete" "$dpa" inspect "$tmp/complete.dpa" --json
check "complete layout kept" contains "$tmp/last" '"predictor":"gbdt"'
check "train within a flash budget" "$dpa" train "$zoo" -o "$tmp/small.dpa" --max-bytes 6000 --json
check "budget kept" python3 -c "import os,sys; assert os.path.getsize(sys.argv[1]) <= 6000" "$tmp/small.dpa"
expect_exit "budget too small" 1 "not even one tree fits" "$dpa" train "$zoo" -o "$tmp/tiny.dpa" --max-bytes 500
check "train float16 leaves" "$dpa" train "$zoo" -o "$tmp/half.dpa" --trees 60 --leaves f16
check "float16 leaves are smaller" python3 -c "import os,sys; assert os.path.getsize(sys.argv[1]) < os.path.getsize(sys.argv[2])" "$tmp/half.dpa" "$tmp/m.dpa"
expect_exit "float16 leaves need the sparse layout" 2 "needs the sparse layout" "$dpa" train "$zoo" -o "$tmp/x.dpa" --leaves f16 --tree-layout complete
expect_exit "bad tree layout" 2 "auto, complete or sparse" "$dpa" train "$zoo" -o "$tmp/x.dpa" --tree-layout round
check "import a LightGBM 4.6 default model (deep trees)" "$dpa" import lightgbm "$source/tests/data/importers/lgbm46-default.txt" -o "$tmp/lgbm.dpa"
check "import says sparse" contains "$tmp/last" 'sparse-gbdt'
check "import XGBoost 3.4 UBJSON" "$dpa" import xgboost "$source/tests/data/importers/xgb34-sqerr-d6.ubj" -o "$tmp/xgb.dpa"
expect_exit "linear trees refused" 1 "linear trees" "$dpa" import lightgbm "$source/tests/data/importers/lgbm46-linear-tree-d6.txt" -o "$tmp/lin.dpa"
check "eval with plot" "$dpa" eval "$tmp/m.dpa" "$zoo" --json --plot "$tmp/eval.svg"
# On its own training zoo a model is evaluated on the runs it never saw.
check "eval counts held-out runs only" python3 -c "import json,sys; r=json.load(open(sys.argv[1])); \
assert r['training_zoo'] and r['held_out_only'] and 200 < r['excluded_runs'] < 380 \
and r['n'] == 400 - r['excluded_runs'], r" "$tmp/last"
check "eval --all-runs" "$dpa" eval "$tmp/m.dpa" "$zoo" --json --all-runs
check "eval json" contains "$tmp/last" '"n":400'
check "train with cross-validation" "$dpa" train "$zoo" -o "$tmp/cv.dpa" --cv 3 --trees 30 --json
check "cross-validation summary" contains "$tmp/last" '"cv":{"folds":3,"r2_mean":'
check "train with tuning" "$dpa" train "$zoo" -o "$tmp/tuned.dpa" --tune --json
check "tuned settings reported" python3 -c "import json,sys; g=json.load(open(sys.argv[1]))['gbdt']; \
assert g['tuned'] and g['depth'] in (3, 4, 6) and g['learning_rate'] in (0.03, 0.1), g" "$tmp/last"
check "train with the logistic loss" "$dpa" train "$zoo" -o "$tmp/logistic.dpa" --loss logistic --trees 30
check "logistic models end in a sigmoid" "$dpa" inspect "$tmp/logistic.dpa"
check "inspect shows the sigmoid" contains "$tmp/last" "sigmoid of the score"
expect_exit "unknown loss" 2 "l2 or logistic" "$dpa" train "$zoo" -o "$tmp/x.dpa" --loss huber
check "plot is svg" contains "$tmp/eval.svg" '<svg'
check "eval mlp" "$dpa" eval "$tmp/mlp.dpa" "$zoo"
check "predict csv" "$dpa" predict "$tmp/m.dpa" "$zoo/weights.npy" -o "$tmp/p.csv"
[ "$(wc -l < "$tmp/p.csv")" -eq 401 ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAILED: predict rows"; }
check "predict npy" "$dpa" predict "$tmp/m.dpa" "$zoo/weights.npy" -o "$tmp/p.npy"
expect_exit "predict bad suffix" 2 "must end in .npy or .csv" "$dpa" predict "$tmp/m.dpa" "$zoo/weights.npy" -o "$tmp/p.txt"
check "features" "$dpa" features "$zoo" -o "$tmp/f.npy" --stats extended

# Context values: a model that reads hyperparameters and training metrics besides the weights.
check "train with context" "$dpa" train "$zoo" -o "$tmp/ctx.dpa" --context hyper,train --trees 40 --json
check "train json names the context" contains "$tmp/last" '"context":"config.activation(2),'
check "inspect lists context" "$dpa" inspect "$tmp/ctx.dpa"
check "inspect shows categories" contains "$tmp/last" 'config.optimizer (categorical: adam, rmsprop, sgd)'
check "inspect json lists context" "$dpa" inspect "$tmp/ctx.dpa" --json
check "inspect json context" contains "$tmp/last" '{"name":"step","kind":"numeric","trained_low":'
expect_exit "predict needs the context" 2 "pass them with --metrics" "$dpa" predict "$tmp/ctx.dpa" "$zoo/weights.npy"
gzip -dc "$zoo/metrics.csv.gz" > "$tmp/metrics.csv"
check "predict with --metrics" "$dpa" predict "$tmp/ctx.dpa" "$zoo/weights.npy" --metrics "$tmp/metrics.csv" -o "$tmp/ctx.csv"
[ "$(grep -c nan "$tmp/ctx.csv")" -eq 0 ] && [ "$(wc -l < "$tmp/ctx.csv")" -eq 401 ] && passed=$((passed + 1)) || {
  failed=$((failed + 1)); echo "FAILED: predictions with context"; }
check "eval with context from the zoo" "$dpa" eval "$tmp/ctx.dpa" "$zoo" --json --all-runs
check "eval with context uses every row" contains "$tmp/last" '"n":400'
expect_exit "unknown context column" 2 "has no column 'config.colour'" "$dpa" train "$zoo" -o "$tmp/x.dpa" --context config.colour
expect_exit "context that is the target" 2 "measures the target itself" "$dpa" train "$zoo" -o "$tmp/x.dpa" --context curve
head -n 100 "$tmp/metrics.csv" > "$tmp/short_metrics.csv"
expect_exit "metrics rows differ" 1 "99 rows" "$dpa" predict "$tmp/ctx.dpa" "$zoo/weights.npy" --metrics "$tmp/short_metrics.csv"
cut -d, -f1-13 "$tmp/metrics.csv" > "$tmp/no_optimizer.csv"
expect_exit "metrics lack a context column" 1 "no column 'config.optimizer'" "$dpa" predict "$tmp/ctx.dpa" "$zoo/weights.npy" --metrics "$tmp/no_optimizer.csv"
check "train final-accuracy model with context" "$dpa" train "$zoo" -o "$tmp/stop.dpa" --context hyper,train --target final_test_accuracy --trees 20

# What a model reads of the weights: statistics, every weight, or nothing (context values alone).
check "train mlp on raw weights" "$dpa" train "$zoo" -o "$tmp/raw.dpa" --model mlp --inputs raw --json
check "raw-weight model json" contains "$tmp/last" '"inputs":"raw"'
check "inspect a raw-weight model" "$dpa" inspect "$tmp/raw.dpa"
check "inspect says raw weights" contains "$tmp/last" 'raw'
check "predict with a raw-weight model" "$dpa" predict "$tmp/raw.dpa" "$zoo/weights.npy" -o "$tmp/raw.csv"
[ "$(grep -c nan "$tmp/raw.csv")" -eq 0 ] && [ "$(wc -l < "$tmp/raw.csv")" -eq 401 ] && passed=$((passed + 1)) || {
  failed=$((failed + 1)); echo "FAILED: raw-weight predictions"; }
check "train linear on raw weights (the dual form)" "$dpa" train "$zoo" -o "$tmp/raw-linear.dpa" --model linear --inputs raw --json
check "linear json says the alpha chosen" contains "$tmp/last" '"alpha":'
check "train on hyperparameters alone" "$dpa" train "$zoo" -o "$tmp/hyper.dpa" --inputs none --context hyper --trees 40 --json
check "eval a model that reads no weights" "$dpa" eval "$tmp/hyper.dpa" "$zoo" --json
check "hyperparameters-only model evaluated" python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['n'] > 20 and r['r2'] > 0, r" "$tmp/last"
check "predict with a model that reads no weights" "$dpa" predict "$tmp/hyper.dpa" "$zoo/weights.npy" --metrics "$tmp/metrics.csv" -o "$tmp/hyper.csv"
check "predict on 1 thread" "$dpa" predict "$tmp/ctx.dpa" "$zoo/weights.npy" --metrics "$tmp/metrics.csv" -o "$tmp/one.csv" --threads 1
check "predict on 3 threads" "$dpa" predict "$tmp/ctx.dpa" "$zoo/weights.npy" --metrics "$tmp/metrics.csv" -o "$tmp/three.csv" --threads 3
check "the same predictions on any number of threads" cmp "$tmp/one.csv" "$tmp/three.csv"
expect_exit "no inputs at all" 2 "name what the model reads with --context" "$dpa" train "$zoo" -o "$tmp/x.dpa" --inputs none
expect_exit "unknown inputs" 2 "stats, raw, none" "$dpa" train "$zoo" -o "$tmp/x.dpa" --inputs pixels
expect_exit "--stats with raw inputs" 2 "--stats chooses" "$dpa" train "$zoo" -o "$tmp/x.dpa" --inputs raw --stats extended
check "gbdt on raw weights says it is slow and weak" "$dpa" train "$zoo" -o "$tmp/x.dpa" --inputs raw --trees 5
check "the note on stderr" contains "$tmp/last_err" 'note: trees on every raw weight'

# The paper's comparison on two zoos (the mini zoo and a copy under another name), quick mode.
mkdir "$tmp/copy" && ln -s "$zoo"/* "$tmp/copy/"
check "report on two zoos, every input kind" "$dpa" report "$zoo" "$tmp/copy" -o "$tmp/report" --quick --json --inputs all
check "report covers every cell and the transfer matrix" python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert [z['name'] for z in r['zoos']] == ['mini-zoo', 'copy'], r['zoos']
for z in r['zoos']:
    cells = {(c['model'], c['inputs']): c for c in z['cells']}
    assert len(cells) == 12, cells.keys()
    for c in cells.values():
        assert 'skipped' not in c and c['n'] > 100 and -1 < c['r2_mean'] <= 1, c
    # As in the paper: GBM on statistics beats GBM on hyperparameters and the MLP on all weights.
    assert cells[('gbdt', 'W-stats')]['r2_mean'] > cells[('gbdt', 'H')]['r2_mean'], cells
    assert cells[('gbdt', 'W-stats')]['r2_mean'] > cells[('mlp', 'W')]['r2_mean'], cells
assert len(r['transfer']) == 4 and all(t['n'] > 20 for t in r['transfer']), r['transfer']
" "$tmp/last"
check "report summary" contains "$tmp/report/README.md" '| GBM (gbdt) | W-stats | 0.9928 |'
# By default W, the raw weights (the slowest cells by far), is left out, and said so.
check "report with the default inputs" "$dpa" report "$zoo" -o "$tmp/report-default" --quick --json
check "nine cells, no W" python3 -c "
import json, sys
cells = [(c['model'], c['inputs']) for c in json.load(open(sys.argv[1]))['zoos'][0]['cells']]
assert len(cells) == 9 and not any(i == 'W' for _, i in cells), cells
" "$tmp/last"
check "the summary says W was not run" contains "$tmp/report-default/README.md" 'Not run (`--inputs all` runs every kind): W.'
expect_exit "report --inputs of an unknown kind" 2 "'X' is none of default, all, W-stats, W, H, W-stats+H" \
  "$dpa" report "$zoo" -o "$tmp/report-x" --inputs W-stats,X
check "report figures are SVG with labelled axes" python3 -c "
import sys, xml.etree.ElementTree as ET
root = sys.argv[1]
ns = '{http://www.w3.org/2000/svg}'
for name, labels in [('mini-zoo/accuracy.svg', ['test accuracy', 'runs']),
                     ('mini-zoo/test-vs-train.svg', ['train accuracy', 'test accuracy']),
                     ('copy/cells/gbdt-w-stats.svg', ['true test accuracy', 'predicted test accuracy']),
                     ('transfer-tau.svg', ['trained on', 'scored on (held-out runs)']),
                     ('transfer/mini-zoo-on-copy.svg', ['true test accuracy'])]:
    texts = [t.text for t in ET.parse(root + '/' + name).getroot().iter(ns + 'text')]
    for label in labels:
        assert label in texts, (name, label, texts)
" "$tmp/report"
check "a report figure renders to PNG" rsvg-convert -o "$tmp/accuracy.png" "$tmp/report/mini-zoo/accuracy.svg"
check "the PNG is one" python3 -c "import sys; assert open(sys.argv[1], 'rb').read(8) == b'\x89PNG\r\n\x1a\n'" "$tmp/accuracy.png"
expect_exit "report into a file" 2 "is not a directory" "$dpa" report "$zoo" -o "$zoo/layout.csv" --quick

# Early stopping against the baselines, on a zoo whose 400 runs have checkpoints 0, 1, 2 (the mini
# zoo's networks, each repeated, with accuracies and losses along a made-up learning curve).
mkdir "$tmp/curves"
python3 "$source/tests/cli/derive_zoo.py" "$zoo" "$tmp/curves" curves
check "early-stop against the baselines" "$dpa" early-stop "$tmp/curves" --at 1 --folds 3 --context train --json --plot "$tmp/tradeoff.svg"
check "early-stop rows per signal and rule" python3 -c "import json,sys; r=json.load(open(sys.argv[1])); \
rows={(x['signal'],x['rule'],x['value']) for x in r['rules']}; \
assert ('model','percentile',25) in rows and ('test_accuracy','percentile',25) in rows and ('train_loss','percentile',50) in rows \
and ('successive_halving','halving',2) in rows and ('model','below',0.5) in rows, rows; \
assert r['replays'] == 3 and all(x['runs'] == r['predictor']['runs'] for x in r['rules']), r" "$tmp/last"
check "trade-off plot" contains "$tmp/tradeoff.svg" '<polyline'
check "early-stop with one predictor for every checkpoint" "$dpa" early-stop "$tmp/curves" --at 1 --folds 2 --context train --train-checkpoints all --percentile 50 --json
check "it replays every finished run" contains "$tmp/last" '"predictor":{"runs":400,'
expect_exit "early-stop bad --train-checkpoints" 2 "--checkpoints" "$dpa" early-stop "$tmp/curves" --train-checkpoints soon
check "train a final-accuracy model for replay" "$dpa" train "$tmp/curves" -o "$tmp/final.dpa" --checkpoints 1 --target final_test_accuracy --trees 20
check "train an epoch-1 model with the epoch as context" "$dpa" train "$tmp/curves" -o "$tmp/stop-at-1.dpa" --checkpoints 1 --target final_test_accuracy --context train --trees 20
check "epoch-1 model evaluated at epoch 2" "$dpa" eval "$tmp/stop-at-1.dpa" "$tmp/curves" --checkpoints 2 --target final_test_accuracy
check "warns that the epoch lies outside its training" contains "$tmp/last_err" "step above 1"
check "early-stop replays a given model's held-out runs" "$dpa" early-stop "$tmp/curves" --model "$tmp/final.dpa" --percentile 25 --json
check "the model's training runs are not replayed" python3 -c "import json,sys; r=json.load(open(sys.argv[1])); \
assert r['excluded_runs'] > 200 and r['predictor']['runs'] == 400 - r['excluded_runs'], r" "$tmp/last"
expect_exit "early-stop --model with --folds" 2 "--model replays a given model" "$dpa" early-stop "$tmp/curves" --model "$tmp/final.dpa" --folds 3
expect_exit "early-stop refuses a model of another target" 1 "final accuracy" "$dpa" early-stop "$tmp/curves" --model "$tmp/m.dpa"

# Corrupt inputs: a clear error, exit 1, and no output file.
head -c 1000 "$tmp/m.dpa" > "$tmp/short.dpa"
expect_exit "truncated model" 1 "truncated" "$dpa" inspect "$tmp/short.dpa"
cp "$tmp/m.dpa" "$tmp/flipped.dpa"
printf '\x55' | dd of="$tmp/flipped.dpa" bs=1 seek=200 conv=notrunc 2> /dev/null
expect_exit "changed model byte" 1 "checksum" "$dpa" predict "$tmp/flipped.dpa" "$zoo/weights.npy"
mkdir "$tmp/broken"
cp "$zoo/metrics.csv.gz" "$zoo/layout.csv" "$tmp/broken/"
head -c 100000 "$zoo/weights.npy" > "$tmp/broken/weights.npy"
expect_exit "truncated weights" 1 "truncated" "$dpa" features "$tmp/broken" -o "$tmp/broken.npy"
[ ! -e "$tmp/broken.npy" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAILED: partial features file"; }
ls "$tmp" | grep -q '\.tmp-' && { failed=$((failed + 1)); echo "FAILED: temporary files left"; } || passed=$((passed + 1))

# A SIGTERM while an output is written: tests/cli/test_hostile.sh (deterministic, through a shim).
expect_exit "directory as input" 1 "not a regular file" "$dpa" predict "$tmp/m.dpa" "$tmp"

# dpa zoo train on a tiny random IDX dataset: a release-format zoo that dpa reads back, and a
# second run of the same job resumes instead of training again.
mkdir "$tmp/idx"
python3 "$source/tests/cli/make_idx.py" "$tmp/idx" 96 40
check "zoo train" "$dpa" zoo train --data "$tmp/idx" -o "$tmp/grown" --runs 3 --epochs 2 --checkpoints 0,1,2 --batch 32 --threads 2 --json
# 3 runs x 2 epochs x 96 images (train_fraction sampled per run: at least a tenth of them).
check "zoo train json counts trained images" python3 -c "import json,sys; r=json.load(open(sys.argv[1])); \
assert r['runs_trained'] == 3 and r['checkpoints'] == 9 and 3*2*10 <= r['trained_images'] <= 3*2*96 \
and r['images_per_second_per_thread'] > 0, r" "$tmp/last"
check "grown zoo reads back" "$dpa" zoo info "$tmp/grown" --json
check "grown zoo has 3 runs of 3 checkpoints" contains "$tmp/last" '"checkpoints_per_run":{"3":3}'
check "zoo train resumes" "$dpa" zoo train --data "$tmp/idx" -o "$tmp/grown" --runs 3 --epochs 2 --checkpoints 0,1,2 --batch 32
check "resume message" contains "$tmp/last_err" "resuming: 3 of 3 runs already trained"
check "features of the grown zoo" "$dpa" features "$tmp/grown" -o "$tmp/grown.npy"
check "zoo train stops early with a context model" "$dpa" zoo train --data "$tmp/idx" -o "$tmp/stopped" --runs 2 --epochs 2 --checkpoints 0,1,2 --batch 32 --early-stop "$tmp/stop.dpa" --stop-below 0.99 --json
check "every run checked and stopped" contains "$tmp/last" '"early_stop":{"checks":2,"stops":2}'
expect_exit "zoo train refuses a model of the checkpoint's accuracy" 1 "final accuracy" "$dpa" zoo train --data "$tmp/idx" -o "$tmp/x" --runs 1 --early-stop "$tmp/ctx.dpa"
expect_exit "zoo train bad optimizer" 2 "sgd, adam or rmsprop" "$dpa" zoo train --data "$tmp/idx" -o "$tmp/x" --runs 1 --optimizer lion
expect_exit "zoo train missing data" 1 "missing train-images" "$dpa" zoo train --data "$tmp" -o "$tmp/x" --runs 1

# export-c -> a firmware-like C program -> the same prediction as dpa predict.
check "export-c" "$dpa" export-c "$tmp/m.dpa" -o "$tmp/exported_model.h" --name exported_model
expect_exit "export-c bad name" 2 "C identifier" "$dpa" export-c "$tmp/m.dpa" -o "$tmp/x.h" --name 9lives
check "compile firmware-like program" "$cc" -std=c99 -Wall -Werror -I"$include" -I"$tmp" \
  "$source/tests/cli/firmware_like.c" "$library" -lstdc++ -lm -o "$tmp/firmware_like"
check "run firmware-like program" "$tmp/firmware_like" "$tmp/row.npy"
firmware=$(cat "$tmp/last")
check "predict the same row" "$dpa" predict "$tmp/m.dpa" "$tmp/row.npy"
host=$(tail -n 1 "$tmp/last" | cut -d, -f2)
[ -n "$firmware" ] && [ "$firmware" = "$host" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAILED: firmware $firmware != host $host"; }
# The same with a model that reads context values: the exported header, the C API and dpa predict.
check "export-c a context model" "$dpa" export-c "$tmp/ctx.dpa" -o "$tmp/exported_model.h" --name exported_model
check "compile the context firmware" "$cc" -std=c99 -Wall -Werror -I"$include" -I"$tmp" \
  "$source/tests/cli/firmware_like.c" "$library" -lstdc++ -lm -o "$tmp/firmware_context"
check "run the context firmware" "$tmp/firmware_context" "$tmp/row.npy" "$tmp/row_metrics.csv"
firmware=$(cat "$tmp/last")
check "predict the same row and context" "$dpa" predict "$tmp/ctx.dpa" "$tmp/row.npy" --metrics "$tmp/row_metrics.csv"
host=$(tail -n 1 "$tmp/last" | cut -d, -f2)
[ -n "$firmware" ] && [ "$firmware" = "$host" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAILED: context firmware $firmware != host $host"; }

finish
