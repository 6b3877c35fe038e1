"""Record a sweep's checkpoints as a zoo every dpa command reads (docs/zoo-format.md).

    with dpa.ZooWriter("my-zoo", dpa.torch.layout_of(net)) as zoo:
        zoo.add(dpa.torch.flatten(net), run="run-7", step=epoch, test_accuracy=acc, train_loss=loss,
                config={"epochs": 20, "learning_rate": lr, "optimizer": "adam"})

Rows go to committed parts (`.parts/`, each written to a temporary and renamed, its metrics last),
and every flush rebuilds weights.npy and metrics.csv.gz from all committed parts under a lock:
appends from several processes and restarts add up, and a writer killed at any moment leaves the
zoo as of its last flush (the next flush also picks up what the killed one had committed).
"""
import csv
import fcntl
import gzip
import io
import os
import time

import numpy as np

from . import Segment, _c_layout

__all__ = ["ZooWriter"]

_FIRST = ["modeldir", "step", "test_accuracy", "test_loss", "train_accuracy", "train_loss"]


def _atomic_write(path, data):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _npy(rows, width):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(rows, dtype="<f4").reshape(-1, width), version=(1, 0))
    return buf.getvalue()


class ZooWriter:
    def __init__(self, directory, layout, flush_every=256):
        self.dir = os.fspath(directory)
        self.layout = [s if isinstance(s, Segment) else Segment(*s) for s in layout]
        c_layout, _ = _c_layout(self.layout)  # the runtime's own check of the layout
        self.width = c_layout.total_length
        self.flush_every = flush_every
        self._weights, self._rows, self._parts = [], [], 0
        os.makedirs(os.path.join(self.dir, ".parts"), exist_ok=True)
        text = "varname,start_idx,end_idx,shape\n" + "".join(
            "segment%d/%s:0,%d,%d,\"(%d,)\"\n" % (i, s.kind, s.offset, s.offset + s.length, s.length)
            for i, s in enumerate(self.layout))
        path = os.path.join(self.dir, "layout.csv")
        if os.path.exists(path):
            with open(path) as f:
                if f.read() != text:
                    raise ValueError("%s: the zoo has another layout than this writer's" % path)
        else:
            _atomic_write(path, text.encode())

    def add(self, weights, run, step, test_accuracy=None, config=None, **metrics):
        """One checkpoint of one run. config: the run's hyperparameters (written as config.NAME);
        it must hold "epochs", the run's planned last step. Other keyword arguments are metrics
        columns (test_loss, train_accuracy, train_loss, ...)."""
        w = np.asarray(weights)
        if not np.issubdtype(w.dtype, np.floating) or w.ndim != 1 or w.size != self.width:
            raise ValueError("weights must be one float vector of %d values (the layout's), got %s of shape %s"
                             % (self.width, w.dtype, w.shape))
        config = dict(config or {})
        if "epochs" not in config:
            raise ValueError("config must hold 'epochs', the run's planned last step (dpa finds final checkpoints by it)")
        row = {"modeldir": str(run), "step": int(step)}
        if test_accuracy is not None:
            row["test_accuracy"] = float(test_accuracy)
        row.update({k: v for k, v in metrics.items()})
        row.update({"config." + k: v for k, v in config.items()})
        self._weights.append(w.astype(np.float32))
        self._rows.append(row)
        if len(self._rows) >= self.flush_every:
            self.flush()

    def flush(self):
        """Commits the rows added so far and rebuilds the zoo's files from every committed part."""
        if self._rows:
            name = "%013d-%d-%d" % (time.time_ns() // 1000, os.getpid(), self._parts)
            self._parts += 1
            base = os.path.join(self.dir, ".parts", name)
            _atomic_write(base + ".npy", _npy(self._weights, self.width))
            out = io.StringIO()
            columns = sorted({k for r in self._rows for k in r})
            writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(self._rows)
            _atomic_write(base + ".csv", out.getvalue().encode())  # the commit: last
            self._weights, self._rows = [], []
        self._assemble()

    def _assemble(self):
        with open(os.path.join(self.dir, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            parts = sorted(p[:-4] for p in os.listdir(os.path.join(self.dir, ".parts")) if p.endswith(".csv"))
            weights, rows = [], []
            for part in parts:
                base = os.path.join(self.dir, ".parts", part)
                with open(base + ".csv") as f:
                    part_rows = list(csv.DictReader(f))
                w = np.load(base + ".npy")
                if w.shape != (len(part_rows), self.width):
                    raise ValueError("%s: %d weight rows for %d metrics rows" % (base, w.shape[0], len(part_rows)))
                weights.append(w)
                rows.extend(part_rows)
            if not rows:
                return
            names = {k for r in rows for k in r}
            columns = [""] + sorted(n for n in names if n.startswith("config.")) + \
                [n for n in _FIRST if n in names] + sorted(n for n in names if n not in _FIRST and not n.startswith("config."))
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(columns)
            for r in rows:
                r[""] = "%s/checkpoint-%s" % (r["modeldir"], r["step"])
                writer.writerow([r.get(c, "") for c in columns])
            # Weights first, metrics last: between the two renames the files disagree in rows, and
            # dpa says so; they never disagree silently.
            _atomic_write(os.path.join(self.dir, "weights.npy"), _npy(np.concatenate(weights), self.width))
            _atomic_write(os.path.join(self.dir, "metrics.csv.gz"), gzip.compress(out.getvalue().encode()))

    def close(self):
        self.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
