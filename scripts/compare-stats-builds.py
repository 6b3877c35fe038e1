#!/usr/bin/python3
"""Whether two builds of the runtime compute the same statistics, bit for bit: every row of a zoo
in the Small CNN Zoo's layout, every kernel both builds have on this CPU, every statistics set.
For changes to the kernels or the selection that must leave every value as it was.

Usage: scripts/compare-stats-builds.py OLD_LIBDPA_SO NEW_LIBDPA_SO [ZOO (default
../shared/zoo/fmnist-ref)] [--json]. Exit 1 when some value differs."""
import argparse
import ctypes
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHUNK = 256  # rows per batch read from the memory-mapped weights


def load(path):
    try:
        lib = ctypes.CDLL(os.path.abspath(path), mode=ctypes.RTLD_LOCAL)
    except OSError as e:
        sys.exit(f"{path}: not a loadable runtime library ({e})")
    lib.dpa_zoo_layout.restype = ctypes.c_void_p
    lib.dpa_kernel_count.restype = ctypes.c_uint32
    lib.dpa_kernel_at.restype = ctypes.c_int
    lib.dpa_kernel_at.argtypes = [ctypes.c_uint32]
    lib.dpa_kernel_available.argtypes = [ctypes.c_int]
    lib.dpa_kernel_name.restype = ctypes.c_char_p
    lib.dpa_kernel_name.argtypes = [ctypes.c_int]
    lib.dpa_stats_set_count.restype = ctypes.c_uint32
    lib.dpa_stats_set_at.restype = ctypes.c_uint32
    lib.dpa_stats_set_at.argtypes = [ctypes.c_uint32]
    lib.dpa_stats_set_name.restype = ctypes.c_char_p
    lib.dpa_stats_set_name.argtypes = [ctypes.c_int]
    lib.dpa_stats_per_segment.restype = ctypes.c_uint32
    lib.dpa_stats_per_segment.argtypes = [ctypes.c_int]
    lib.dpa_stats_scratch_size.restype = ctypes.c_size_t
    lib.dpa_stats_scratch_size.argtypes = [ctypes.c_int]
    f32p = ctypes.POINTER(ctypes.c_float)
    lib.dpa_stats_compute_with_kernel.argtypes = [ctypes.c_void_p, ctypes.c_int, f32p, ctypes.c_size_t, f32p,
                                                  ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    return lib


def kernels(lib):
    out = {}
    for i in range(lib.dpa_kernel_count()):
        k = lib.dpa_kernel_at(i)
        if lib.dpa_kernel_available(k):
            out[lib.dpa_kernel_name(k).decode()] = k
    return out


def stats_sets(lib):
    return {lib.dpa_stats_set_name(s).decode(): s for s in
            (lib.dpa_stats_set_at(i) for i in range(lib.dpa_stats_set_count()))}


def compute(lib, rows, kernel, stats_set, per_row):
    out = np.empty((len(rows), per_row), dtype=np.float32)
    scratch = ctypes.create_string_buffer(lib.dpa_stats_scratch_size(stats_set))
    layout = lib.dpa_zoo_layout()
    f32p = ctypes.POINTER(ctypes.c_float)
    for r, row in enumerate(rows):
        status = lib.dpa_stats_compute_with_kernel(layout, stats_set, row.ctypes.data_as(f32p), row.size,
                                                   out[r].ctypes.data_as(f32p), per_row, scratch, len(scratch),
                                                   kernel)
        if status not in (0, 6):  # DPA_OK, DPA_ERR_NON_FINITE (the features are NaN then)
            sys.exit(f"kernel {kernel}, set {stats_set}: status {status}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("zoo", nargs="?", default=os.path.join(ROOT, "..", "shared", "zoo", "fmnist-ref"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    path = os.path.join(a.zoo, "weights.npy")
    try:
        weights = np.load(path, mmap_mode="r")
    except (OSError, ValueError) as e:
        sys.exit(f"{path}: cannot read ({e})")
    if weights.ndim != 2 or weights.shape[1] != 4970 or weights.dtype != np.float32:
        sys.exit(f"{path}: not float32 rows of the Small CNN Zoo's 4970 weights (shape {weights.shape}, "
                 f"{weights.dtype})")
    old, new = load(a.old), load(a.new)
    old_kernels, new_kernels = kernels(old), kernels(new)
    old_sets, new_sets = stats_sets(old), stats_sets(new)
    both = sorted(set(old_kernels) & set(new_kernels))
    sets = sorted(set(old_sets) & set(new_sets))
    results = []
    for kernel in both:
        for set_name in sets:
            # Each build by its own identifiers: a kernel or set is matched by name.
            per_row = 8 * new.dpa_stats_per_segment(new_sets[set_name])
            differing = 0
            for first in range(0, weights.shape[0], CHUNK):
                rows = np.ascontiguousarray(weights[first:first + CHUNK])
                a_out = compute(old, rows, old_kernels[kernel], old_sets[set_name], per_row)
                b_out = compute(new, rows, new_kernels[kernel], new_sets[set_name], per_row)
                differing += int(np.count_nonzero(a_out.view(np.uint32) != b_out.view(np.uint32)))
            results.append({"kernel": kernel, "set": set_name, "rows": int(weights.shape[0]),
                            "values": int(weights.shape[0]) * per_row, "differing": differing})
            print(f"{kernel:7s} {set_name:9s} {weights.shape[0]} rows: {differing} of "
                  f"{weights.shape[0] * per_row} values differ", file=sys.stderr)
    if a.json:
        print(json.dumps({"zoo": a.zoo, "old": a.old, "new": a.new, "results": results}, indent=1))
    return 1 if any(r["differing"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
