#!/usr/bin/env bash
# Big and special inputs, the part of issue 17 that in-memory fuzzing cannot reach: files cut by
# another process while mapped, a full file system, temporaries of killed runs, control bytes in
# paths and names, zoo train's refusals, and early-stopping decisions that depend neither on
# threads nor on resumption. Each case: a one-line error naming the file, the documented exit
# code, inputs untouched and nothing half-written. docs/hostile-inputs.md lists the outcomes.
# Usage: test_hostile.sh DPA_BINARY MINI_ZOO TRUNCATE_SHIM SOURCE_DIR C_COMPILER
set -uo pipefail
dpa=$1 zoo=$2 shim=$3 source=$4 cc=$5
tmp=$(mktemp -d)
trap 'mountpoint -q "$tmp/full" 2> /dev/null && umount "$tmp/full"; rm -rf "$tmp"' EXIT
source "$source/tests/cli/checks.sh"

# A weights file cut by another process while it is mapped and read: before, SIGBUS and no word.
cp -r "$zoo" "$tmp/cut"
DPA_TEST_TRUNCATE="$tmp/cut/weights.npy" LD_PRELOAD="$shim" \
  expect_exit "weights cut while features reads them" 1 "cut/weights.npy: the file shrank" \
  "$dpa" features "$tmp/cut" -o "$tmp/cut.npy" --threads 2
expect "one line of error" [ "$(wc -l < "$tmp/err")" -eq 1 ]
expect "no output after the cut" [ ! -e "$tmp/cut.npy" ]
expect "no temporary after the cut" no_temporaries "$tmp"
cp "$zoo/weights.npy" "$tmp/cut/weights.npy"
DPA_TEST_TRUNCATE="$tmp/cut/weights.npy" LD_PRELOAD="$shim" \
  expect_exit "weights cut while train reads them" 1 "the file shrank" "$dpa" train "$tmp/cut" -o "$tmp/cut.dpa" --trees 5
expect "no model after the cut" [ ! -e "$tmp/cut.dpa" ]

# SIGTERM while features are written (sent at the first read-ahead, the output's temporary open):
# neither the output nor a temporary is left, and the process ends by the signal.
# (In a subshell whose stderr is closed off, so the shell's "Terminated" notice stays out of the log.)
(DPA_TEST_RAISE=15 LD_PRELOAD="$shim" "$dpa" features "$zoo" -o "$tmp/term.npy"; exit $?) 2> /dev/null
expect "SIGTERM ends features by the signal" [ $? -eq 143 ]
expect "no output after SIGTERM" [ ! -e "$tmp/term.npy" ]
expect "no temporary after SIGTERM" no_temporaries "$tmp"

# A full file system: the error names the output; no temporary is left.
mkdir "$tmp/full"
if mount -t tmpfs -o size=32k tmpfs "$tmp/full" 2> /dev/null; then
  expect_exit "features onto a full file system" 1 "No space left on device" "$dpa" features "$zoo" -o "$tmp/full/f.npy"
  expect "nothing left on the full file system" [ -z "$(ls -A "$tmp/full")" ]
  # A report is swapped in whole: on a full disk, no partial report (#28 item 12).
  expect_exit "report onto a full file system" 1 "No space left on device" "$dpa" report "$zoo" -o "$tmp/full/r" --quick
  expect "no partial report on the full file system" [ -z "$(ls -A "$tmp/full")" ]
  umount "$tmp/full"
else
  echo "not run here: a full file system (mounting a tmpfs is not allowed; run as root)"
fi

# An empty output name (#28 item 16; before: "cannot rename '.tmp-PID' to ''").
expect_exit "features -o ''" 2 "-o names an output: it is empty" "$dpa" features "$zoo" -o ""
expect_exit "train --output=" 2 "-o names an output: it is empty" "$dpa" train "$zoo" --output=

# A report never replaces what no report wrote (#28 item 1): a project's README.md, a zoo.
mkdir "$tmp/project" && echo "the project's own" > "$tmp/project/README.md"
expect_exit "report into a directory of other files" 1 "holds files that no earlier dpa report wrote (README.md)" \
  "$dpa" report "$zoo" -o "$tmp/project" --quick
expect "the project's README is untouched" [ "$(cat "$tmp/project/README.md")" = "the project's own" ]
cp -r "$zoo" "$tmp/zoo-copy"
expect_exit "report into a zoo" 1 "no earlier dpa report wrote" "$dpa" report "$tmp/zoo-copy" -o "$tmp/zoo-copy" --quick
expect "the zoo is untouched" diff -r "$zoo" "$tmp/zoo-copy"
# An earlier report is replaced whole: a file of it that the new one does not write goes too.
sh -c 'exit 0' & dead=$!
wait "$dead"
mkdir -p "$tmp/report.tmp-$dead" && touch "$tmp/report.tmp-$dead/.dpa-report"
check "report into a new directory" "$dpa" report "$zoo" -o "$tmp/report" --quick
touch "$tmp/report/stale.svg"
check "report over an earlier report" "$dpa" report "$zoo" -o "$tmp/report" --quick
expect "the new report is whole" test -s "$tmp/report/README.md" -a -s "$tmp/report/report.json"
expect "nothing of the earlier one stays" [ ! -e "$tmp/report/stale.svg" ]
expect "a killed report's staging directory is gone" no_temporaries "$tmp"
expect_exit "report -o . inside an earlier report" 1 "'.' is the current directory: the report replaces its directory whole" \
  bash -c 'cd "$1" && "$2" report "$3" -o . --quick' _ "$tmp/report" "$dpa" "$zoo"
expect_exit "report -o .. from inside it" 1 "'..' is the current directory or holds it" \
  bash -c 'cd "$1" && "$2" report "$3" -o .. --quick' _ "$tmp/report" "$dpa" "$zoo"
expect "the earlier report stays" test -s "$tmp/report/README.md"

# A temporary left by a killed run (SIGKILL: no handler runs) goes with the next write of that output.
sh -c 'exit 0' & dead=$!
wait "$dead"
echo partial > "$tmp/f.npy.tmp-$dead"
check "features after a killed run" "$dpa" features "$zoo" -o "$tmp/f.npy"
expect "the killed run's temporary is gone" [ ! -e "$tmp/f.npy.tmp-$dead" ]

# A line end in a zoo's path becomes \x0a in the provenance, not a key of its own that eval would
# read as the split.
odd="$tmp/zoo"$'\n'"split=seed 7 test_fraction 0.9 folds 0 fold 0"
cp -r "$zoo" "$odd"
check "train on a zoo whose path has a line end" "$dpa" train "$odd" -o "$tmp/odd.dpa" --trees 20
check "inspect the model" "$dpa" inspect "$tmp/odd.dpa" --json
check "the path is one provenance line" python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['provenance']['text']; \
assert '\\\\x0asplit=seed 7' in t and '\nsplit=seed 7' not in t and '\nsplit=seed 0 ' in t, t" "$tmp/last"
check "eval reads the real split" "$dpa" eval "$tmp/odd.dpa" "$odd" --json
check "held-out runs by the real split" python3 -c "import json,sys; r=json.load(open(sys.argv[1])); \
assert r['held_out_only'] and 200 < r['excluded_runs'] < 380, r" "$tmp/last"

# Names from a zoo's header with terminal escapes and bytes that are not UTF-8: inspect shows
# them escaped, and its JSON stays valid.
python3 - "$zoo" "$tmp/names" << 'PY'
import gzip, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(src, dst)
data = gzip.open(src + "/metrics.csv.gz", "rb").read().split(b"\n")
data[0] += b",\x1b[31mred,end*/ of\\"  # an escape sequence; a comment's end and a backslash for export-c
for i in range(1, len(data)):
    if data[i]:
        data[i] += b"," + (b"\xff\xfe" if i % 2 else b"plain") + b"," + (b"x*/y" if i % 3 else b"z\\")
gzip.open(dst + "/metrics.csv.gz", "wb").write(b"\n".join(data))
PY
check "train with an odd context name" "$dpa" train "$tmp/names" -o "$tmp/names.dpa" --trees 10 --context $'\x1b[31mred,end*/ of\\'
check "inspect escapes control bytes" "$dpa" inspect "$tmp/names.dpa"
expect "no escape byte on the terminal" lacks "$tmp/last" $'\x1b'
check "the name shown escaped" contains "$tmp/last" '\\x1b\[31mred'
check "inspect JSON" "$dpa" inspect "$tmp/names.dpa" --json
check "inspect JSON is valid UTF-8 JSON" python3 -c "import json,sys; j=json.loads(open(sys.argv[1],'rb').read().decode('utf-8')); \
c=j['context'][0]; assert c['name']=='\x1b[31mred' and '\ufffd\ufffd' in c['categories'], c" "$tmp/last"
check "export-c of such names" "$dpa" export-c "$tmp/names.dpa" -o "$tmp/names.h" --name odd_names
check "the header compiles" "$cc" -std=c99 -Wall -Werror -fsyntax-only -I"$source/runtime/include" -x c "$tmp/names.h"
# A comment's end in the model's path or the header's name (#28 item 16); a keyword as --name.
mkdir -p "$tmp/a*" "$tmp/h*"
cp "$tmp/names.dpa" "$tmp/a*/m.dpa"
check "export-c of a model whose path holds */" "$dpa" export-c "$tmp/a*/m.dpa" -o "$tmp/h*/m.h"
check "that header compiles" "$cc" -std=c99 -Wall -Werror -fsyntax-only -I"$source/runtime/include" -x c "$tmp/h*/m.h"
# An import context of a category with no name (#28 item 15; before: "context name" was blamed).
expect_exit "import --context 'x='" 2 "a category of 'x' is empty in 'x=': list its categories after '=' as a|b|c" \
  "$dpa" import xgboost "$tmp/no-such.json" -o "$tmp/i.dpa" --context 'x='
for keyword in int static _Bool; do
  expect_exit "export-c --name $keyword" 2 "not a keyword, not starting with '_'" \
    "$dpa" export-c "$tmp/names.dpa" -o "$tmp/k.h" --name "$keyword"
done

# zoo train: datasets without images, checkpoints the job cannot have, a zoo it did not start,
# and a resumed job with other options.
mkdir "$tmp/idx" "$tmp/empty"
python3 "$source/tests/cli/make_idx.py" "$tmp/idx" 96 40
python3 "$source/tests/cli/make_idx.py" "$tmp/empty" 0 40
expect_exit "zoo train on 0 training images" 1 "train-images-idx3-ubyte.gz: holds no images" \
  "$dpa" zoo train --data "$tmp/empty" -o "$tmp/z0" --runs 1 --epochs 1
# A gzip whose checksum does not match (a corrupt tail), and a file longer than its header says
# (#28 item 16; before: read silently).
cp -r "$tmp/idx" "$tmp/crc" && cp -r "$tmp/idx" "$tmp/long"
python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[-8]^=0xff; open(p,'wb').write(b)" \
  "$tmp/crc/t10k-labels-idx1-ubyte.gz"
expect_exit "zoo train on a gzip with a corrupt tail" 1 "t10k-labels-idx1-ubyte.gz: corrupt or unreadable" \
  "$dpa" zoo train --data "$tmp/crc" -o "$tmp/zcrc" --runs 1 --epochs 1
python3 -c "import gzip,sys; p=sys.argv[1]; b=gzip.open(p).read(); gzip.open(p,'wb').write(b+b'extra')" \
  "$tmp/long/train-labels-idx1-ubyte.gz"
expect_exit "zoo train on labels longer than their header" 1 "train-labels-idx1-ubyte.gz: longer than its header says" \
  "$dpa" zoo train --data "$tmp/long" -o "$tmp/zlong" --runs 1 --epochs 1
expect "nothing made from them" [ ! -e "$tmp/zcrc" ] && [ ! -e "$tmp/zlong" ]
python3 "$source/tests/cli/make_idx.py" "$tmp/empty" 96 0
expect_exit "zoo train on 0 test images" 1 "t10k-images-idx3-ubyte.gz: holds no images" \
  "$dpa" zoo train --data "$tmp/empty" -o "$tmp/z0" --runs 1 --epochs 1
expect "nothing made for an empty dataset" [ ! -e "$tmp/z0" ]
# Headers that claim too much, and a bomb: 96 images' header, then 64 MB of zeros (64 KB gzipped).
python3 - "$tmp/idx" "$tmp/claims" << 'PY'
import gzip, shutil, struct, sys
src, dst = sys.argv[1], sys.argv[2]
for name, dims in (("huge", (1 << 25, 28, 28)), ("wide", (96, 32, 32))):
    shutil.copytree(src, dst + "-" + name)
    with gzip.open(dst + "-" + name + "/train-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, *dims))
shutil.copytree(src, dst + "-bomb")
pixels = gzip.open(src + "/train-images-idx3-ubyte.gz").read()
with gzip.open(dst + "-bomb/train-images-idx3-ubyte.gz", "wb") as f:
    f.write(pixels)
    for _ in range(64):
        f.write(bytes(1 << 20))
PY
expect_exit "an IDX header claiming 2^25 images" 1 "header claims 33554432 images" \
  "$dpa" zoo train --data "$tmp/claims-huge" -o "$tmp/z0" --runs 1 --epochs 1
expect_exit "32 x 32 images" 1 "32 x 32 images; the zoo CNN takes 28 x 28" \
  "$dpa" zoo train --data "$tmp/claims-wide" -o "$tmp/z0" --runs 1 --epochs 1
expect_exit "a bomb behind a small header: refused after its images, the rest unread" 1 "longer than its header says" \
  "$dpa" zoo train --data "$tmp/claims-bomb" -o "$tmp/zb" --runs 1 --epochs 1 --batch 32
expect_exit "checkpoints beyond the epochs" 2 "epoch 14 is beyond --epochs 12" \
  "$dpa" zoo train --data "$tmp/idx" -o "$tmp/z1" --runs 1 --checkpoints 0,1,14
expect_exit "checkpoints without the last epoch" 2 "must include the last epoch, 3" \
  "$dpa" zoo train --data "$tmp/idx" -o "$tmp/z1" --runs 1 --epochs 3 --checkpoints 0,1
before=$(cksum < "$tmp/cut/weights.npy")
expect_exit "zoo train into a zoo it did not start" 1 "already holds a zoo (weights.npy)" \
  "$dpa" zoo train --data "$tmp/idx" -o "$tmp/cut" --runs 1 --epochs 1
expect "that zoo is untouched" [ "$(cksum < "$tmp/cut/weights.npy")" = "$before" ]
small=(--data "$tmp/idx" --epochs 4 --checkpoints 0,1,2,3,4 --batch 32)
check "zoo train, 2 runs" "$dpa" zoo train "${small[@]}" -o "$tmp/job" --runs 2
# The finished zoo in the release format: metrics.csv.gz as the paper's code reads it, a row per
# row of weights.npy, the unnamed first column the checkpoint's path.
release_rows() {
  python3 -c 'import csv, gzip, sys
rows = list(csv.reader(gzip.open(sys.argv[1] + "/metrics.csv.gz", "rt")))
assert rows[0][0] == "" and "modeldir" in rows[0] and "config.epochs" in rows[0], rows[0]
assert rows[1][0] == rows[1][rows[0].index("modeldir")] + "/permanent_ckpt-" + rows[1][rows[0].index("step")]
print(len(rows) - 1)' "$1"
}
expect "a finished zoo train job writes metrics.csv.gz, a row per checkpoint" [ "$(release_rows "$tmp/job")" = 10 ]
expect_exit "resumed with other options" 1 "started with other options (fixed: recorded none, now --learning-rate 0.01)" \
  "$dpa" zoo train "${small[@]}" -o "$tmp/job" --runs 3 --learning-rate 0.01
check "resumed with the same options and more runs" "$dpa" zoo train "${small[@]}" -o "$tmp/job" --runs 3
check "resume message" contains "$tmp/last_err" "resuming: 2 of 3 runs already trained"
expect "the resumed job's metrics.csv.gz holds its 3 runs" [ "$(release_rows "$tmp/job")" = 15 ]
# A kill -9 while the job's record was written leaves only the record's temporary: ours, replaced.
sh -c 'exit 0' & gone=$!
wait "$gone"
mkdir -p "$tmp/rectmp" && : > "$tmp/rectmp/.zoo-train.tmp-$gone"
check "zoo train after a kill that left only its record's temporary" \
  "$dpa" zoo train "${small[@]}" -o "$tmp/rectmp" --runs 1
expect "the dead temporary is gone" [ ! -e "$tmp/rectmp/.zoo-train.tmp-$gone" ]
mkdir -p "$tmp/rectmp2" && : > "$tmp/rectmp2/.zoo-train.tmp-$$"
expect_exit "a live process's temporary is not ours" 1 "which no zoo train job wrote" \
  "$dpa" zoo train "${small[@]}" -o "$tmp/rectmp2" --runs 1

# --max-gap: which runs stop is decided in run order, so 1 thread, 2 threads and a job resumed
# half-way stop the same runs at the same epochs.
check "a final-accuracy model" "$dpa" train "$zoo" -o "$tmp/stop.dpa" --trees 30 --target final_test_accuracy --checkpoints all
gap=(--early-stop "$tmp/stop.dpa" --stop-below 0 --max-gap 0.0005 --json)
check "max-gap, 1 thread" "$dpa" zoo train "${small[@]}" "${gap[@]}" -o "$tmp/gap1" --runs 8 --threads 1
cp "$tmp/last" "$tmp/gap1.json"
check "max-gap, 2 threads" "$dpa" zoo train "${small[@]}" "${gap[@]}" -o "$tmp/gap2" --runs 8 --threads 2
check "max-gap, 3 runs then resumed to 8" "$dpa" zoo train "${small[@]}" "${gap[@]}" -o "$tmp/gapr" --runs 3 --threads 2
check "max-gap, resumed" "$dpa" zoo train "${small[@]}" "${gap[@]}" -o "$tmp/gapr" --runs 8 --threads 2
check "some runs stopped, not all" python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['early_stop']; \
assert 0 < s['stops'] < 8, s" "$tmp/gap1.json"
expect "2 threads stop as 1 does" cmp -s "$tmp/gap1/metrics.jsonl" "$tmp/gap2/metrics.jsonl"
expect "a resumed job stops as one job does" cmp -s "$tmp/gap1/metrics.jsonl" "$tmp/gapr/metrics.jsonl"
expect "the same weights" cmp -s "$tmp/gap1/weights.npy" "$tmp/gapr/weights.npy"
expect "and with 2 threads" cmp -s "$tmp/gap1/weights.npy" "$tmp/gap2/weights.npy"

# zoo train records through the zoo writer, a whole run at a time in run order (#27; #28 item 16:
# before, per-run files in .runs were assembled at the end, and a damaged or swapped run file was
# taken as it was). A zoo whose rows are not this job's runs in order is refused, naming the row.
cp -r "$tmp/job" "$tmp/swapped"
python3 - "$tmp/swapped/metrics.jsonl" << 'PY'
import sys
path = sys.argv[1]
lines = open(path).read().splitlines(True)
lines[0], lines[5] = lines[5], lines[0]  # run 0's first checkpoint and run 1's first
open(path, "w").writelines(lines)
PY
expect_exit "resuming a zoo whose runs are out of order" 1 "swapped/metrics.jsonl: row 0 is zoo/idx/run00001 step 0, where this job's next checkpoint is zoo/idx/run00000 step 0" \
  "$dpa" zoo train "${small[@]}" -o "$tmp/swapped" --runs 4
mkdir "$tmp/documents" && echo mine > "$tmp/documents/notes.txt"
expect_exit "zoo train into a directory of other files" 1 "documents: holds notes.txt, which no zoo train job wrote" \
  "$dpa" zoo train "${small[@]}" -o "$tmp/documents" --runs 1
expect "nothing written beside them" [ "$(ls -A "$tmp/documents")" = notes.txt ]
mkdir -p "$tmp/old-job/.runs"
expect_exit "a job of an earlier dpa (.runs)" 1 "old-job/.runs: a job of an earlier dpa" \
  "$dpa" zoo train "${small[@]}" -o "$tmp/old-job" --runs 1
check "a zoo of zoo train reads while it is whole runs" "$dpa" zoo info "$tmp/job" --json
check "3 runs of 5 checkpoints" contains "$tmp/last" '"checkpoints_per_run":{"5":3}'
# A job killed in the middle of committing its second run (SIGKILL at the zoo writer's 8th pwrite:
# run 1's rows and lines written, its commit not): the zoo holds run 0 alone, and the next job
# goes on from there to the same bytes as one uninterrupted job.
(DPA_TEST_KILL_AT_PWRITE=8 LD_PRELOAD="$shim" "$dpa" zoo train "${small[@]}" "${gap[@]}" -o "$tmp/killed" --runs 8 \
  --threads 1; exit $?) > /dev/null 2>&1
expect "killed by SIGKILL" [ $? -eq 137 ]
check "the killed zoo reads: one whole run" "$dpa" zoo info "$tmp/killed" --json
check "one run of 5 checkpoints" contains "$tmp/last" '"checkpoints_per_run":{"5":1}'
check "the killed job resumes" "$dpa" zoo train "${small[@]}" "${gap[@]}" -o "$tmp/killed" --runs 8 --threads 2
expect "to the same zoo as one job" cmp -s "$tmp/gap1/metrics.jsonl" "$tmp/killed/metrics.jsonl"

finish
