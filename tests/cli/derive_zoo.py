"""Zoos derived from the mini zoo for the CLI tests, with the standard library alone.

  derive_zoo.py SRC DST tile N   the whole zoo N times over (a big zoo)
  derive_zoo.py SRC DST curves   each network as checkpoints 0, 1, 2 of its run (config.epochs 2),
                                 accuracy and training loss along a made-up learning curve"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from zoo_files import Zoo  # noqa: E402

src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]
zoo = Zoo(src)
col = zoo.col
copies = int(sys.argv[4]) if mode == "tile" else 3


def derived_rows():
    """(weights row, metrics row) in the derived zoo's order."""
    if mode == "tile":
        for _ in range(copies):
            for r in range(zoo.count):
                yield r, zoo.table[1 + r]
        return
    for r in range(zoo.count):
        for step, share, loss in ((0, 0.4, 2.0), (1, 0.8, 1.3), (2, 1.0, 1.0)):
            row = list(zoo.table[1 + r])
            row[col["step"]], row[col["config.epochs"]] = str(step), "2"
            row[col["test_accuracy"]] = repr(float(zoo.table[1 + r][col["test_accuracy"]]) * share)
            row[col["train_loss"]] = repr(float(zoo.table[1 + r][col["train_loss"]]) * loss)
            yield r, row


pairs = list(derived_rows())
zoo.write(dst, len(pairs), (zoo.row(r) for r, _ in pairs), (row for _, row in pairs))
