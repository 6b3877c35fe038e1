#!/usr/bin/env python3
"""Regenerates tools/data/mini-zoo, the embedded default of `dpa demo`: the final checkpoints of
400 random runs (seed 0) of the reference zoo, weights stored as float16. The run embedded as
`dpa`'s sample network (tools/data/sample_weights.inc) is left out, so the demo predicts a network
its predictor never saw.
Usage: python3 scripts/gen_mini_zoo.py [REFERENCE_ZOO]   (Debian python3-numpy)"""
import csv
import gzip
import os
import shutil
import sys

import numpy as np

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
ref = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "zoo", "fmnist-ref")
out = os.path.join(root, "tools", "data", "mini-zoo")
os.makedirs(out, exist_ok=True)
w = np.load(os.path.join(ref, "weights.npy"), mmap_mode="r")
with gzip.open(os.path.join(ref, "metrics.csv.gz"), "rt") as f:
    reader = csv.reader(f)
    header = next(reader)
    rows = list(reader)
col = {h: i for i, h in enumerate(header)}
with open(os.path.join(root, "tools", "data", "sample_weights.inc")) as f:
    sample_run = [l.split('"')[1] for l in f if l.startswith("#define DPA_SAMPLE_RUN")][0]
final = [i for i, r in enumerate(rows)
         if r[col["step"]] == r[col["config.epochs"]] and r[col["modeldir"]] != sample_run]
pick = sorted(np.random.default_rng(0).choice(final, size=400, replace=False))
np.save(os.path.join(out, "weights.npy"), np.asarray(w[pick]).astype(np.float16))
with gzip.open(os.path.join(out, "metrics.csv.gz"), "wt", compresslevel=9) as f:
    writer = csv.writer(f, lineterminator="\n")
    writer.writerow(header)
    for i in pick:
        writer.writerow(rows[i])
shutil.copyfile(os.path.join(ref, "layout.csv"), os.path.join(out, "layout.csv"))
print("wrote", os.path.normpath(out), len(pick), "runs")
