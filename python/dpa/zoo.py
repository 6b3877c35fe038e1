"""Record a sweep's checkpoints as a zoo every dpa command reads (docs/zoo-format.md).

    with dpa.ZooWriter("my-zoo", dpa.torch.layout_of(net), store="stats") as zoo:
        zoo.add(dpa.torch.flatten(net), run="run-7", step=epoch, test_accuracy=acc, train_loss=loss,
                config={"epochs": 20, "learning_rate": lr, "optimizer": "adam"})

The writer is the host library's (libdpa_host.so), the same `dpa zoo stats` and the sweep pruner
use: each add appends one row and one metrics line and commits them, so memory and time per add
do not grow with the zoo, several processes may append to one directory, and a writer killed at
any moment leaves every committed row readable. store="stats" keeps the runtime's statistics of
each checkpoint (112 floats for the zoo CNN) instead of its weights.
"""
import ctypes
import json
import math
import numbers
import os

import numpy as np

from . import Segment, _c_layout, _floats, _ptr
from . import _host

__all__ = ["ZooWriter"]

_STORES = {"weights": "weights", "stats": "statistics", "statistics": "statistics"}


def _plain(name, value):
    """A metrics value as JSON takes it, refused here with its name when no reader would read it."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        v = float(value)
        if not math.isfinite(v) or abs(v) > 3.4028234663852886e38:
            raise ValueError("%s = %r: not a finite float32 number (every dpa reader refuses it)" % (name, value))
        return v
    if isinstance(value, np.generic):
        return _plain(name, value.item())
    raise TypeError("%s = %r: a metrics value is a number, a text, a bool or None, not %s"
                    % (name, value, type(value).__name__))


class ZooWriter:
    def __init__(self, directory, layout, store="weights", flush_every=None, release_metrics=False):
        """store: "weights" (the release format's weights.npy) or "stats" (the runtime's
        statistics of each checkpoint: a statistics zoo). Appends to a zoo this writer made;
        refuses a directory holding anything else. flush_every is accepted for compatibility:
        every add is committed. release_metrics: close() also writes the release format's
        metrics.csv.gz (write_release_metrics()). One writer may be shared by threads."""
        if store not in _STORES:
            raise ValueError("store must be 'weights' or 'stats', got %r" % (store,))
        self.dir = os.fspath(directory)
        self.layout = [s if isinstance(s, Segment) else Segment(*s) for s in layout]
        self._c_layout, self._keep = _c_layout(self.layout)  # the runtime's own check of the layout
        self.width = self._c_layout.total_length
        self.store = store
        self.release_metrics = release_metrics
        handle = ctypes.c_void_p()
        _host.check(_host.lib.dpa_host_zoo_writer_open(self.dir.encode(), ctypes.byref(self._c_layout),
                                                       _STORES[store].encode(), ctypes.byref(handle)))
        self._handle = handle

    def add(self, weights, run, step, test_accuracy=None, config=None, **metrics):
        """One checkpoint of one run. config: the run's hyperparameters (written as config.NAME);
        it must hold "epochs", the run's planned last step. Other keyword arguments are metrics
        columns (test_loss, train_accuracy, train_loss, ...). Values the dpa readers refuse
        (NaN, 1e300, a step of -1 or 2.7) are refused here, naming the value."""
        if self._handle is None:
            raise ValueError("%s: the writer is closed" % self.dir)
        w = _floats(weights, "weights")
        if w.ndim != 1 or w.size != self.width:
            raise ValueError("weights must be one vector of %d values (the layout's), got shape %s"
                             % (self.width, w.shape))
        text = self._metrics_line(run, step, test_accuracy, config, metrics)
        _host.check(_host.lib.dpa_host_zoo_writer_add(self._handle, _ptr(w), w.size, text.encode()))

    def add_statistics(self, statistics, run, step, test_accuracy=None, config=None, **metrics):
        """add() with the checkpoint's statistics already computed, into a statistics zoo
        (store="stats"): a row of the stored statistics, as `dpa zoo stats` writes them and
        dpa.replay reads them (a subset of a recorded sweep as another sweep's history)."""
        if self._handle is None:
            raise ValueError("%s: the writer is closed" % self.dir)
        if self.store != "stats":
            raise ValueError("add_statistics writes a statistics zoo (store='stats'); this one stores weights")
        row = _floats(statistics, "statistics")
        text = self._metrics_line(run, step, test_accuracy, config, metrics)
        _host.check(_host.lib.dpa_host_zoo_writer_add_row(self._handle, _ptr(row), row.size, text.encode()))

    @staticmethod
    def _metrics_line(run, step, test_accuracy, config, metrics):
        config = dict(config or {})
        if "epochs" not in config:
            raise ValueError("config must hold 'epochs', the run's planned last step (dpa finds final checkpoints by it)")
        if isinstance(step, numbers.Real) and not isinstance(step, numbers.Integral) and float(step).is_integer():
            step = int(step)
        row = {"modeldir": run if isinstance(run, str) else str(run), "step": _plain("step", step),
               "test_accuracy": _plain("test_accuracy", test_accuracy)}
        row.update({k: _plain(k, v) for k, v in metrics.items()})
        row.update({"config." + k: _plain("config." + k, v) for k, v in config.items()})
        return json.dumps(row, allow_nan=False)

    @property
    def rows(self):
        """Rows in the zoo as of this writer's last add (other writers may have added more)."""
        return _host.lib.dpa_host_zoo_writer_rows(self._handle) if self._handle is not None else 0

    def flush(self):
        """Every add is committed already; this also puts the files on the disk (fdatasync)."""
        if self._handle is not None:
            _host.check(_host.lib.dpa_host_zoo_writer_sync(self._handle), OSError)

    def write_release_metrics(self):
        """Writes metrics.csv.gz beside metrics.jsonl, the release format's metrics file that the
        paper's code and pandas read, of the rows committed now; the next add removes it."""
        if self._handle is None:
            raise ValueError("%s: the writer is closed" % self.dir)
        _host.check(_host.lib.dpa_host_zoo_writer_release_metrics(self._handle), OSError)

    def close(self):
        if self._handle is not None:
            try:
                self.flush()
                if self.release_metrics:
                    self.write_release_metrics()
            finally:
                _host.lib.dpa_host_zoo_writer_close(self._handle)
                self._handle = None

    def __del__(self):
        if getattr(self, "_handle", None) is not None:
            _host.lib.dpa_host_zoo_writer_close(self._handle)
            self._handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
