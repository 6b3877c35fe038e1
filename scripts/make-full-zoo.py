#!/usr/bin/python3
"""Builds a zoo of the released Small CNN Zoo's size (30,000 runs x 9 checkpoints = 270,000 rows,
5.4 GB of float32 weights) by tiling a smaller zoo in the release format: copy k of run R is run
"R-tK", its weights multiplied by (1 + 0.001 * N(0, 1)) noise per weight (copy 0 exact), its
metrics rows those of R. For benchmarks at the size users have (scripts/bench-full-zoo.sh), not a
substitute for the real zoo's quality figures.

Usage: scripts/make-full-zoo.py SRC_ZOO OUT_DIR [--runs 30000] [--seed 0]
Writes OUT_DIR.tmp-PID and renames it to OUT_DIR at the end; exits 3 with a message when the disk
lacks room (the size plus 1 GB)."""
import argparse
import csv
import gzip
import os
import shutil
import sys

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--runs", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    if os.path.exists(a.out):
        sys.exit(f"{a.out} exists: remove it or name another directory")
    weights = np.load(os.path.join(a.src, "weights.npy"), mmap_mode="r")
    with gzip.open(os.path.join(a.src, "metrics.csv.gz"), "rt", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    if len(body) != weights.shape[0]:
        sys.exit(f"{a.src}: metrics rows {len(body)} != weights rows {weights.shape[0]}")
    run_col = header.index("modeldir")
    runs, rows_of = [], {}
    for i, r in enumerate(body):
        if r[run_col] not in rows_of:
            rows_of[r[run_col]] = []
            runs.append(r[run_col])
        rows_of[r[run_col]].append(i)
    plan = [(runs[i % len(runs)], i // len(runs)) for i in range(a.runs)]
    total_rows = sum(len(rows_of[run]) for run, _ in plan)
    size = total_rows * weights.shape[1] * 4
    free = shutil.disk_usage(os.path.dirname(os.path.abspath(a.out)) or ".").free
    if free < size + (1 << 30):
        print(f"not enough disk for a {size / 1e9:.1f} GB zoo at {a.out} ({free / 1e9:.1f} GB free)", file=sys.stderr)
        sys.exit(3)
    tmp = f"{a.out}.tmp-{os.getpid()}"
    os.makedirs(tmp)
    try:
        out = np.lib.format.open_memmap(os.path.join(tmp, "weights.npy"), mode="w+", dtype="<f4",
                                        shape=(total_rows, weights.shape[1]))
        rng = np.random.default_rng(a.seed)
        at = 0
        with gzip.open(os.path.join(tmp, "metrics.csv.gz"), "wt", newline="", compresslevel=1) as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            for n, (run, copy) in enumerate(plan):
                src = rows_of[run]
                block = np.asarray(weights[src[0]:src[-1] + 1], dtype=np.float32)[[i - src[0] for i in src]]
                if copy > 0:
                    block = block * (1 + 1e-3 * rng.standard_normal(block.shape, dtype=np.float32))
                out[at:at + len(src)] = block
                at += len(src)
                for i in src:
                    r = list(body[i])
                    r[run_col] = f"{run}-t{copy}"
                    if header[0] == "":
                        r[0] = r[0].replace(run, r[run_col], 1)
                    w.writerow(r)
                if n % 1000 == 999:
                    print(f"\r{n + 1} / {len(plan)} runs", end="", file=sys.stderr, flush=True)
        out.flush()
        del out
        shutil.copy(os.path.join(a.src, "layout.csv"), os.path.join(tmp, "layout.csv"))
        os.rename(tmp, a.out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    print(f"\nwrote {a.out}: {len(plan)} runs, {total_rows} rows, {size / 1e9:.2f} GB", file=sys.stderr)


if __name__ == "__main__":
    main()
