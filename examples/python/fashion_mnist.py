"""Fashion-MNIST from Debian's dataset-fashion-mnist (IDX files, gzipped), for the examples."""
import gzip
import struct

import numpy as np


def read_idx(path):
    """Images as (count, 1, 28, 28) uint8, labels as (count,) uint8."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, 1, 28, 28)
    return np.frombuffer(data, np.uint8, offset=8)
