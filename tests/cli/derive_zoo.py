"""Zoos derived from the mini zoo for the CLI tests, with the standard library alone.

  derive_zoo.py SRC DST tile N   the whole zoo N times over (a big zoo)
  derive_zoo.py SRC DST curves   each network as checkpoints 0, 1, 2 of its run (config.epochs 2),
                                 accuracy and training loss along a made-up learning curve"""
import csv
import gzip
import io
import shutil
import sys

src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]
raw = open(src + "/weights.npy", "rb").read()
hlen = raw[8] | (raw[9] << 8)
header, data = raw[10:10 + hlen].decode("latin1"), raw[10 + hlen:]
rows = int(header.split("'shape': (")[1].split(",")[0])
width = len(data) // rows
table = list(csv.reader(io.StringIO(gzip.open(src + "/metrics.csv.gz", "rt").read())))
col = {name: i for i, name in enumerate(table[0])}
copies = int(sys.argv[4]) if mode == "tile" else 3


def derived_rows():
    """(weights row, metrics row) in the derived zoo's order."""
    if mode == "tile":
        for _ in range(copies):
            for r in range(rows):
                yield r, table[1 + r]
        return
    for r in range(rows):
        for step, share, loss in ((0, 0.4, 2.0), (1, 0.8, 1.3), (2, 1.0, 1.0)):
            row = list(table[1 + r])
            row[col["step"]], row[col["config.epochs"]] = str(step), "2"
            row[col["test_accuracy"]] = repr(float(table[1 + r][col["test_accuracy"]]) * share)
            row[col["train_loss"]] = repr(float(table[1 + r][col["train_loss"]]) * loss)
            yield r, row


new = header.replace("(%d," % rows, "(%d," % (rows * copies)).rstrip()
new += " " * ((64 - (10 + len(new) + 1) % 64) % 64) + "\n"
out = io.StringIO()
writer = csv.writer(out, lineterminator="\n")
writer.writerow(table[0])
with open(dst + "/weights.npy", "wb") as f:
    f.write(raw[:8] + bytes([len(new) & 255, len(new) >> 8]) + new.encode("latin1"))
    for r, row in derived_rows():
        f.write(data[r * width:(r + 1) * width])
        writer.writerow(row)
with gzip.open(dst + "/metrics.csv.gz", "wt") as f:
    f.write(out.getvalue())
shutil.copy(src + "/layout.csv", dst + "/layout.csv")
