#!/usr/bin/env python3
"""Checks `dpa features ZOO_DIR -o F.npy` against numpy's own computation of the paper's
statistics (the issue's acceptance check). Usage: check_features.py ZOO_DIR F.npy"""
import csv
import sys

import numpy as np

zoo, features_path = sys.argv[1], sys.argv[2]
w = np.load(zoo + "/weights.npy", mmap_mode="r")
f = np.load(features_path)
with open(zoo + "/layout.csv") as fh:
    layout = [(int(r["start_idx"]), int(r["end_idx"])) for r in csv.DictReader(fh)]
assert f.shape == (w.shape[0], 7 * len(layout)), f.shape
worst_q, worst_m = 0, 0.0
for i in range(w.shape[0]):
    row = w[i].astype(np.float64)
    for s, (a, b) in enumerate(layout):
        x = row[a:b]
        q = np.percentile(x, [0, 25, 50, 75, 100]).astype(np.float32)
        worst_q += int(np.sum(q != f[i, 7 * s:7 * s + 5]))
        rms = np.sqrt(np.mean(x * x)) or 1.0
        worst_m = max(worst_m, abs(f[i, 7 * s + 5] - x.std()) / rms, abs(f[i, 7 * s + 6] - x.mean()) / rms)
print("rows %d: quantiles differing from numpy: %d; max |std or mean error| / rms: %.2e"
      % (w.shape[0], worst_q, worst_m))
sys.exit(0 if worst_q == 0 and worst_m <= 1e-6 else 1)
