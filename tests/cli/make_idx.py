"""A tiny random IDX dataset (28 x 28 grey images, labels 0..9), gzipped, for zoo train tests.

  make_idx.py DIR TRAIN_IMAGES TEST_IMAGES"""
import gzip
import random
import struct
import sys

random.seed(1)
out, counts = sys.argv[1], {"train": int(sys.argv[2]), "t10k": int(sys.argv[3])}


def write(name, magic, dims, payload):
    with gzip.open(out + "/" + name + ".gz", "wb") as f:
        f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + bytes(payload))


for prefix, n in counts.items():
    labels = [random.randrange(10) for _ in range(n)]
    pixels = [min(255, max(0, int(random.gauss(25 * label, 40)))) for label in labels for _ in range(784)]
    write(prefix + "-images-idx3-ubyte", 0x803, (n, 28, 28), pixels)
    write(prefix + "-labels-idx1-ubyte", 0x801, (n,), labels)
