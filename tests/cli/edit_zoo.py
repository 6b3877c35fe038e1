"""A copy of a zoo (weights.npy, metrics.csv.gz, layout.csv) with one edit, for the hostile-input
tests, with the standard library alone.

  edit_zoo.py SRC DST blank COLUMN half|all|one   empty COLUMN in odd rows / every row / all rows but the first
  edit_zoo.py SRC DST set COLUMN VALUE            COLUMN = VALUE in odd rows
  edit_zoo.py SRC DST constant-config             every config.* column but the seed as in the first row
  edit_zoo.py SRC DST nan-weights [all]           weight 5 of even rows (of every row) NaN
  edit_zoo.py SRC DST huge-weights                weights 0-99 of every 40th row ±3e38 (finite; their l2_norm overflows)
  edit_zoo.py SRC DST add-runs N                  N more runs: copies of the first N, renamed
  edit_zoo.py SRC DST drop-runs N                 the first N runs left out
  edit_zoo.py SRC DST rename-run                  the first run renamed
  edit_zoo.py SRC DST rename-runs                 every run renamed (a foreign zoo of the same networks)"""
import math
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_files import Zoo  # noqa: E402

src, dst, mode, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
zoo = Zoo(src)
header, count, col = zoo.header, zoo.count, zoo.col
weights = [bytearray(zoo.row(r)) for r in range(count)]
rows = [list(row) for row in zoo.table[1:]]


def rename(row, suffix):
    row = list(row)
    row[col["modeldir"]] += suffix
    row[0] += suffix
    return row


if mode == "blank":
    for i, row in enumerate(rows):
        if {"half": i % 2 == 1, "all": True, "one": i > 0}[args[1]]:
            row[col[args[0]]] = ""
elif mode == "set":
    for i, row in enumerate(rows):
        if i % 2 == 1:
            row[col[args[0]]] = args[1]
elif mode == "constant-config":
    for name, c in col.items():
        if name.startswith("config.") and name != "config.random_seed":
            for row in rows:
                row[c] = rows[0][c]
elif mode == "nan-weights":
    code = {"<f2": "<e", "<f4": "<f", "<f8": "<d"}[header.split("'descr': '")[1].split("'")[0]]
    size = struct.calcsize(code)
    for r in range(0, count, 1 if args[:1] == ["all"] else 2):
        weights[r][5 * size:6 * size] = struct.pack(code, math.nan)
elif mode == "huge-weights":  # as float32 (a float16 zoo cannot hold 3e38)
    code = {"<f2": "<e", "<f4": "<f", "<f8": "<d"}[header.split("'descr': '")[1].split("'")[0]]
    n = len(weights[0]) // struct.calcsize(code)
    weights = [bytearray(struct.pack("<%df" % n, *struct.unpack("<%d%s" % (n, code[1]), w))) for w in weights]
    zoo.header = header.replace("'descr': '%s'" % {"<e": "<f2", "<f": "<f4", "<d": "<f8"}[code], "'descr': '<f4'")
    for r in range(0, count, 40):
        weights[r][0:400] = struct.pack("<100f", *[3e38 if k % 2 else -3e38 for k in range(100)])
elif mode == "add-runs":
    n = int(args[0])
    rows += [rename(row, "-new") for row in rows[:n]]
    weights += [bytearray(w) for w in weights[:n]]
elif mode == "drop-runs":
    n = int(args[0])
    rows, weights = rows[n:], weights[n:]
elif mode == "rename-run":
    rows[0] = rename(rows[0], "-renamed")
elif mode == "rename-runs":
    rows = [rename(row, "-other") for row in rows]
else:
    sys.exit("unknown edit " + mode)

os.makedirs(dst)
zoo.write(dst, len(weights), weights, rows)
