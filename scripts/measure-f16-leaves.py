#!/usr/bin/python3
"""What float16 leaves would cost a sparse-tree model: rounds every leaf of MODEL.dpa (a
SPARSE_GBDT section) to float16 and back, predicts ZOO's rows with both models through
`dpa predict`, and reports the largest and mean change of the predictions and the bytes float16
leaves would save. A measurement only: the format stores float32 leaves.

usage: scripts/measure-f16-leaves.py DPA MODEL.dpa ZOO [--json]"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np

SPARSE_GBDT = 19


def leaf_positions(words, tree_start, num_words):
    """Word indices of the leaves, read as the runtime reads them (preorder, leaf flags)."""
    leaves = []
    for t, begin in enumerate(tree_start):
        end = tree_start[t + 1] if t + 1 < len(tree_start) else num_words
        if end - begin == 1:
            leaves.append(begin)
            continue
        pending = [(begin, False)]
        while pending:
            at, leaf = pending.pop()
            if leaf:
                leaves.append(at)
                continue
            w = words[at]
            pending.append((at + (w >> 18), bool(w & (1 << 17))))
            pending.append((at + 1, bool(w & (1 << 16))))
    return leaves


def main():
    args = [a for a in sys.argv[1:] if a != "--json"]
    if len(args) != 3:
        sys.exit(__doc__)
    dpa, model, zoo = args
    data = bytearray(open(model, "rb").read())
    count, table = struct.unpack_from("<II", data, 20)
    section = None
    for i in range(count):
        kind, offset, size, _ = struct.unpack_from("<IIII", data, table + 16 * i)
        if kind == SPARSE_GBDT:
            section = offset
    if section is None:
        sys.exit(f"{model}: no sparse-tree section (train or import with --tree-layout sparse)")
    num_trees, _, num_split, num_thresholds, num_words = struct.unpack_from("<IIIII", data, section)
    starts_at = section + 32 + 8 * num_split + 4 * num_thresholds
    words_at = starts_at + 4 * num_trees
    tree_start = np.frombuffer(bytes(data[starts_at:words_at]), dtype="<u4")
    words = np.frombuffer(bytes(data[words_at:words_at + 4 * num_words]), dtype="<u4")
    leaves = leaf_positions([int(w) for w in words], [int(s) for s in tree_start], num_words)
    values = words[leaves].view("<f4")
    rounded = values.astype(np.float16).astype(np.float32)
    for index, value in zip(leaves, rounded):
        struct.pack_into("<f", data, words_at + 4 * index, float(value))
    struct.pack_into("<I", data, 8, zlib.crc32(bytes(data[12:])) & 0xFFFFFFFF)
    with tempfile.TemporaryDirectory() as tmp:
        half = os.path.join(tmp, "f16.dpa")
        open(half, "wb").write(data)
        predictions = []
        for m in (model, half):
            out = os.path.join(tmp, "p.npy")
            subprocess.run([dpa, "predict", m, os.path.join(zoo, "weights.npy"), "-o", out], check=True,
                           capture_output=True)
            predictions.append(np.load(out).reshape(-1).astype(np.float64))
    change = np.abs(predictions[0] - predictions[1])
    result = {"model": model, "leaves": len(leaves), "max_leaf_change": float(np.max(np.abs(values - rounded))),
              "max_prediction_change": float(np.max(change)), "mean_prediction_change": float(np.mean(change)),
              "bytes_saved": 2 * len(leaves), "model_bytes": len(data)}
    if "--json" in sys.argv:
        print(json.dumps(result))
    else:
        print(f"{model}: {result['leaves']} leaves; float16 would save {result['bytes_saved']} of "
              f"{result['model_bytes']} bytes; predictions change by at most {result['max_prediction_change']:.3g} "
              f"(mean {result['mean_prediction_change']:.3g})")


if __name__ == "__main__":
    main()
