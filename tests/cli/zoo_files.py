"""The mini zoo's three files read and written with the standard library alone, for the zoos the
CLI tests derive from it (derive_zoo.py, edit_zoo.py)."""
import csv
import gzip
import io
import os
import shutil


class Zoo:
    def __init__(self, src):
        self.src = src
        raw = open(src + "/weights.npy", "rb").read()
        hlen = raw[8] | (raw[9] << 8)
        self.magic, self.header, data = raw[:8], raw[10:10 + hlen].decode("latin1"), raw[10 + hlen:]
        self.count = int(self.header.split("'shape': (")[1].split(",")[0])
        self.width = len(data) // self.count
        self.data = data
        self.table = list(csv.reader(io.StringIO(gzip.open(src + "/metrics.csv.gz", "rt").read())))
        self.col = {name: i for i, name in enumerate(self.table[0])}

    def row(self, r):
        """Weights row r as bytes."""
        return self.data[r * self.width:(r + 1) * self.width]

    def write(self, dst, count, weight_rows, metrics_rows):
        """dst (made) with `count` weights rows from weight_rows (bytes each), the metrics header and
        metrics_rows, and this zoo's layout."""
        os.makedirs(dst, exist_ok=True)
        new = self.header.replace("(%d," % self.count, "(%d," % count).rstrip()
        new += " " * ((64 - (10 + len(new) + 1) % 64) % 64) + "\n"
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(self.table[0])
        with open(dst + "/weights.npy", "wb") as f:
            f.write(self.magic + bytes([len(new) & 255, len(new) >> 8]) + new.encode("latin1"))
            for w, row in zip(weight_rows, metrics_rows):
                f.write(w)
                writer.writerow(row)
        with gzip.open(dst + "/metrics.csv.gz", "wt") as f:
            f.write(out.getvalue())
        shutil.copy(self.src + "/layout.csv", dst + "/layout.csv")
