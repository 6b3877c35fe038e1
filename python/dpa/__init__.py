"""Predict a neural network's final accuracy from its weights and what its training loop knows.

    import dpa
    model = dpa.Model("stop.dpa")                   # a model written by `dpa train`
    model.predict(weights, context={"step": 1, "train_loss": 0.9, "config.optimizer": "adam"})
    model.predict(matrix, context=table)            # many rows: one call into the runtime

Everything is computed by the runtime's shared library (the C++ runtime's C API), so Python, the
host tool and firmware compute the same numbers. numpy is the only dependency; dpa.torch and
dpa.optuna import PyTorch and Optuna when used.
"""
import ctypes
import os
import warnings

import numpy as np

from . import _lib
from ._lib import lib

__all__ = ["DpaError", "DpaWarning", "Model", "Segment", "stats", "stats_names", "zoo_layout"]
__version__ = "0.2.0"


class DpaError(RuntimeError):
    """A runtime status other than ok, with the runtime's own message."""

    def __init__(self, status, what=""):
        self.status = status
        message = lib.dpa_status_string(status).decode()
        super().__init__("%s: %s" % (what, message) if what else message)


class DpaWarning(UserWarning):
    """Inputs the model was not trained on (a category it never saw, a value outside its trained
    range): the prediction extrapolates. The CLI prints the same warning on stderr."""


def _check(status, what=""):
    if status != _lib.OK:
        raise DpaError(status, what)


class Segment(tuple):
    """(offset, length, kind): kind is "bias", "kernel" or "other"."""

    def __new__(cls, offset, length, kind):
        if kind not in _lib.SEGMENT_KINDS:
            raise ValueError("segment kind must be bias, kernel or other, got %r" % (kind,))
        return super().__new__(cls, (int(offset), int(length), kind))

    offset, length, kind = property(lambda s: s[0]), property(lambda s: s[1]), property(lambda s: s[2])


def _kind_name(kind):
    return {v: k for k, v in _lib.SEGMENT_KINDS.items()}[kind]


def zoo_layout():
    """The Small CNN Zoo's layout: 8 segments, bias before kernel per layer, 4970 floats."""
    layout = lib.dpa_zoo_layout().contents
    return [Segment(s.offset, s.length, _kind_name(s.kind)) for s in layout.segments[:layout.num_segments]]


def _c_layout(layout):
    """A dpa_layout for a list of segments (kept alive by the returned tuple)."""
    layout = [s if isinstance(s, Segment) else Segment(*s) for s in layout]
    array = (_lib.Segment * len(layout))(*[_lib.Segment(s.offset, s.length, _lib.SEGMENT_KINDS[s.kind], 0)
                                           for s in layout])
    total = max((s.offset + s.length for s in layout), default=0)
    c = _lib.Layout(ctypes.cast(array, ctypes.POINTER(_lib.Segment)), len(layout), total)
    _check(lib.dpa_layout_check(ctypes.byref(c)), "layout")
    return c, array


def _floats(values, what, width=None):
    """values as a C-contiguous float32 array: float16/float64 converted explicitly, never
    reinterpreted; other dtypes refused."""
    a = np.asarray(values)
    if not np.issubdtype(a.dtype, np.floating):
        raise TypeError("%s must hold floating-point numbers, got dtype %s" % (what, a.dtype))
    a = np.ascontiguousarray(a, dtype=np.float32)
    if a.ndim not in (1, 2):
        raise ValueError("%s must be one vector (1-D) or one row per vector (2-D), got shape %s" % (what, a.shape))
    if width is not None and a.shape[-1] != width:
        raise ValueError("%s hold %d values per row; the model takes %d" % (what, a.shape[-1], width))
    return a


def _ptr(a):
    return a.ctypes.data_as(_lib.f32_p) if a is not None else None


def stats_names(set="paper"):
    """Names of a statistics set's per-segment statistics ("q0", "q25", ..., "std", "mean")."""
    ident = _lib.STATS_SETS[set]
    return [lib.dpa_stats_name(ident, i).decode() for i in range(lib.dpa_stats_per_segment(ident))]


def stats(weights, layout=None, set="paper"):
    """Per-segment statistics of one weight vector: an array of (segments, statistics), exactly
    what a model of that statistics set reads (numpy-identical quantiles)."""
    if set not in _lib.STATS_SETS:
        raise ValueError("set must be one of %s, got %r" % (", ".join(_lib.STATS_SETS), set))
    ident = _lib.STATS_SETS[set]
    c_layout, keep = _c_layout(layout if layout is not None else zoo_layout())
    w = _floats(weights, "weights", c_layout.total_length)
    if w.ndim != 1:
        raise ValueError("stats takes one weight vector; for many, call it per row")
    per = lib.dpa_stats_per_segment(ident)
    out = np.empty((c_layout.num_segments, per), dtype=np.float32)
    scratch = ctypes.create_string_buffer(lib.dpa_stats_scratch_size(ident))
    status = lib.dpa_stats_compute(ctypes.byref(c_layout), ident, _ptr(w), w.size, _ptr(out), out.size,
                                   scratch, len(scratch))
    if status not in (_lib.OK, _lib.NON_FINITE):  # NaN/Inf: those segments' statistics are NaN
        _check(status, "stats")
    del keep
    return out


def _name_bytes(value):
    """A category as the runtime compares it: bytes as they are, text as UTF-8 (surrogates from
    non-UTF-8 names back to their bytes)."""
    return bytes(value) if isinstance(value, bytes) else str(value).encode("utf-8", "surrogateescape")


class Model:
    """A verified model: the bytes of a .dpa file (path, or bytes-like), checked once by the
    runtime. Predictions, features and context names all come from the runtime."""

    def __init__(self, source):
        if isinstance(source, (str, os.PathLike)):
            with open(source, "rb") as f:
                data = f.read()
            self.path = os.fspath(source)
        else:
            # Only an object that holds bytes: bytes(10**11) would allocate 100 GB of zeros first.
            try:
                data = bytes(memoryview(source))
            except TypeError:
                raise TypeError("Model takes a path or the bytes of a .dpa file, not %s" % type(source).__name__) \
                    from None
            self.path = None
        # The runtime keeps pointers into these bytes: they live as long as this object.
        self._bytes = ctypes.create_string_buffer(data, len(data))
        self._model = _lib.ModelStruct()
        _check(lib.dpa_model_load(self._bytes, len(data), ctypes.byref(self._model)), self.path or "model bytes")
        self._scratch = ctypes.create_string_buffer(lib.dpa_model_scratch_size(ctypes.byref(self._model)) + 64)
        self.inputs = []
        info = _lib.ContextInfo()
        for i in range(self._model.num_context):
            _check(lib.dpa_model_context_info(ctypes.byref(self._model), i, ctypes.byref(info)))
            entry = {"name": info.name.decode("utf-8", "surrogateescape"),
                     "kind": "categorical" if info.kind == _lib.CONTEXT_CATEGORICAL else "numeric",
                     "log": info.transform == _lib.CONTEXT_LOG}
            if info.kind == _lib.CONTEXT_CATEGORICAL:
                entry["categories"] = [lib.dpa_model_context_category(ctypes.byref(self._model), i, k).decode(
                                           "utf-8", "surrogateescape")
                                       for k in range(info.num_categories)]
            self.inputs.append(entry)
        # What the model was trained on, as `dpa eval` and `dpa predict` read it: "range:NAME=LOW HIGH".
        self._ranges = {}
        for key, value in self.metadata.items():
            if key.startswith("range:"):
                # float32, as the CLI reads them: a value at the trained maximum is inside, not above.
                low, high = (float(np.float32(x)) for x in value.split())
                self._ranges[key[len("range:"):]] = (low, high)

    @property
    def weights_length(self):
        return self._model.layout.total_length

    @property
    def layout(self):
        l = self._model.layout
        return [Segment(s.offset, s.length, _kind_name(s.kind)) for s in l.segments[:l.num_segments]]

    @property
    def num_features(self):
        return self._model.num_features

    @property
    def context_names(self):
        return [i["name"] for i in self.inputs]

    @property
    def target(self):
        return _lib.TARGETS[self._model.target]

    @property
    def predictor(self):
        return lib.dpa_predictor_name(self._model.predictor).decode()

    @property
    def scratch_size(self):
        return lib.dpa_model_scratch_size(ctypes.byref(self._model))

    @property
    def metadata(self):
        """Training provenance: the key=value lines of the model, as a dict."""
        m = self._model
        # Names in a model are bytes (dpa train writes a zoo's as they are): non-UTF-8 bytes become
        # surrogates, which encode back to the same bytes.
        text = ctypes.string_at(m.metadata_text, m.metadata_text_bytes).decode("utf-8", "surrogateescape") \
            if m.metadata_text_bytes else ""
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    def check_layout(self, layout):
        """Raises ValueError unless the layout is the model's: segment for segment, a weight vector
        of another network would be a wrong prediction, not an error."""
        theirs, ours = [tuple(s) for s in layout], [tuple(s) for s in self.layout]
        if theirs != ours:
            for k, (a, b) in enumerate(zip(theirs, ours)):
                if a != b:
                    raise ValueError("layout differs from the model's at segment %d: %s, the model has %s" % (k, a, b))
            raise ValueError("layout has %d segments, the model's %d" % (len(theirs), len(ours)))

    def context_vector(self, context, rows=None):
        """The context values in the model's order as float32: from a dict of names (categories by
        name, numbers as they are; for many rows, sequences of equal length) or from an array of
        values already in order (categories as their codes)."""
        n = self._model.num_context
        if n == 0:
            if context:
                raise ValueError("the model reads no context values, got %r" % (sorted(context) if isinstance(context, dict) else context,))
            return None
        if context is None:
            raise ValueError("the model reads %d context values: %s" % (n, ", ".join(self.context_names)))
        if not isinstance(context, dict):
            values = _floats(context, "context", n)
            self._warn_outside(values)
            return values
        missing = [name for name in self.context_names if name not in context]
        if missing:
            raise KeyError("context lacks %s (the model reads %s)" % (", ".join(missing), ", ".join(self.context_names)))
        columns = []
        for i, entry in enumerate(self.inputs):
            value = context[entry["name"]]
            values = [value] if rows is None else list(value) if not isinstance(value, (str, bytes)) and np.ndim(value) else [value] * rows
            if rows is not None and len(values) != rows:
                raise ValueError("context %r has %d values for %d rows" % (entry["name"], len(values), rows))
            if entry["kind"] == "categorical":
                codes = []
                numbers = [v for v in values if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)]
                if numbers:
                    warnings.warn("context %r is a category, given by name (%s); %r is a number, so it is a name the "
                                  "model never saw" % (entry["name"], ", ".join(entry["categories"]), numbers[0]),
                                  DpaWarning, stacklevel=3)
                for v in values:
                    code = ctypes.c_float()
                    _check(lib.dpa_model_context_code(ctypes.byref(self._model), i, _name_bytes(v), ctypes.byref(code)))
                    codes.append(code.value)
                values = codes
            columns.append(np.asarray(values, dtype=np.float64))
        matrix = np.ascontiguousarray(np.stack(columns, axis=-1), dtype=np.float32)
        self._warn_outside(matrix)
        return matrix[0] if rows is None else matrix

    def _warn_outside(self, matrix):
        """Warns, as the CLI does, when context values lie outside what the model was trained on."""
        rows = np.atleast_2d(matrix)
        outside = np.zeros(rows.shape[0], dtype=bool)
        parts = []
        for i, entry in enumerate(self.inputs):
            column = rows[:, i]
            if entry["kind"] == "categorical":
                unseen = column == len(entry["categories"])
                if unseen.any():
                    parts.append("%s a category it never saw (%d rows)" % (entry["name"], unseen.sum()))
                outside |= unseen
                continue
            trained = self._ranges.get(entry["name"])
            if trained is None:
                continue
            below, above = column < trained[0], column > trained[1]
            if below.any():
                parts.append("%s below %g (%d rows)" % (entry["name"], trained[0], below.sum()))
            if above.any():
                parts.append("%s above %g (%d rows)" % (entry["name"], trained[1], above.sum()))
            outside |= below | above
        if parts:
            warnings.warn("%d of %d rows lie outside what the model was trained on: %s" %
                          (outside.sum(), rows.shape[0], "; ".join(parts)), DpaWarning, stacklevel=4)

    def _inputs(self, w, c):
        return _lib.Inputs(_ptr(w), 0 if w is None else w.size, _ptr(c), 0 if c is None else c.size)

    def predict(self, weights, context=None):
        """The prediction for one weight vector (1-D: a float) or each row of a matrix (2-D: an
        array, one value per row; NaN where a row's inputs hold NaN/Inf). Raises DpaError for
        anything else the runtime refuses."""
        w = _floats(weights, "weights", self.weights_length) if self.weights_length else None
        rows = None if w is None or w.ndim == 1 else w.shape[0]
        c = self.context_vector(context, rows)
        if rows is None:
            out = ctypes.c_float()
            inputs = self._inputs(w, c)
            _check(lib.dpa_model_predict_inputs(ctypes.byref(self._model), ctypes.byref(inputs), ctypes.byref(out),
                                                self._scratch, len(self._scratch)), "predict")
            return float(out.value)
        if c is not None and (c.ndim != 2 or c.shape[0] != rows):
            raise ValueError("context must have one row per weights row (%d), got shape %s" % (rows, c.shape))
        out = np.empty(rows, dtype=np.float32)
        failed = ctypes.c_size_t()
        status = lib.dpa_model_predict_batch(ctypes.byref(self._model), _ptr(w), self.weights_length, _ptr(c),
                                             self._model.num_context, rows, _ptr(out), self._scratch,
                                             len(self._scratch), ctypes.byref(failed))
        if status not in (_lib.OK, _lib.NON_FINITE):
            _check(status, "predict")
        return out

    def features(self, weights, context=None):
        """The features the predictor reads, in the model's block order."""
        w = _floats(weights, "weights", self.weights_length) if self.weights_length else None
        if w is not None and w.ndim != 1:
            raise ValueError("features takes one weight vector")
        c = self.context_vector(context)
        out = np.empty(self.num_features, dtype=np.float32)
        inputs = self._inputs(w, c)
        status = lib.dpa_model_features_inputs(ctypes.byref(self._model), ctypes.byref(inputs), _ptr(out), out.size,
                                               self._scratch, len(self._scratch))
        if status not in (_lib.OK, _lib.NON_FINITE):
            _check(status, "features")
        return out


from .zoo import ZooWriter  # noqa: E402,F401  (needs the names above)

__all__.append("ZooWriter")
