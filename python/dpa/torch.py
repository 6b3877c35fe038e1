"""Any PyTorch module as a weight vector the runtime reads, and early stopping inside a loop.

The layout of a module, in a documented order: its submodules in registration order
(`named_modules()`), and of each, its own parameters: the bias first, then the weight, then any
other parameter in registration order. One segment per parameter tensor; its kind from the
tensor's role: the weight of a convolution or a linear layer and a recurrent layer's weight_ih_lK
and weight_hh_lK are kernels, a parameter named bias (or a recurrent layer's bias_*) is a bias,
everything else (normalisation scales and shifts, embeddings, ...) is "other"; a matrix classed
"other" is warned about once per module type, since a kernel it may be.
The Small CNN Zoo's network built in PyTorch flattens to the zoo's 4970-float layout (bias
before kernel per layer). Each statistic is permutation-invariant within a segment, so no tensor
is transposed; models that read raw weights need the zoo's own (TensorFlow) order instead.
"""
import warnings

import numpy as np
import torch
from torch import nn

from . import Model, Segment, _lib, lib

__all__ = ["layout_of", "flatten", "EarlyStopper"]

_KERNEL_MODULES = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear, nn.ConvTranspose1d, nn.ConvTranspose2d,
                   nn.ConvTranspose3d)


_warned_other = set()


def _kind(sub, name, tensor):
    if isinstance(sub, nn.RNNBase):  # weight_ih_l0, weight_hh_l0_reverse, bias_ih_l0, ...
        return "kernel" if name.startswith("weight_") else "bias" if name.startswith("bias_") else "other"
    if name == "bias":
        return "bias"
    if name == "weight" and isinstance(sub, _KERNEL_MODULES):
        return "kernel"
    if tensor.dim() >= 2 and type(sub) not in _warned_other:
        _warned_other.add(type(sub))
        warnings.warn("dpa.torch: %s.%s (a %s matrix) is classed 'other', not 'kernel': its statistics are taken "
                      "all the same, but a model trained on kernels will not read it as one"
                      % (type(sub).__name__, name, "x".join(map(str, tensor.shape))), stacklevel=3)
    return "other"


def _parameters(module):
    """(tensor, kind) per parameter in layout order."""
    out = []
    for _, sub in module.named_modules():
        own = list(sub.named_parameters(recurse=False))
        own.sort(key=lambda item: {"bias": 0, "weight": 1}.get(item[0], 2))  # stable: others keep their order
        for name, tensor in own:
            out.append((tensor, _kind(sub, name, tensor)))
    return out


def layout_of(module):
    """The module's layout: a list of dpa.Segment (offset, length, kind)."""
    layout, offset = [], 0
    for tensor, kind in _parameters(module):
        layout.append(Segment(offset, tensor.numel(), kind))
        offset += tensor.numel()
    return layout


def flatten(module):
    """The module's parameters as one float32 vector in layout order (a copy, on the CPU)."""
    with torch.no_grad():
        parts = [t.detach().reshape(-1).to(device="cpu", dtype=torch.float32) for t, _ in _parameters(module)]
        return torch.cat(parts).numpy() if parts else np.zeros(0, dtype=np.float32)


class EarlyStopper:
    """Early stopping for a hand-written loop: every `every` epochs, `check(module, epoch=...,
    **context)` predicts the run's final accuracy from the module's weights and the context values
    the model reads (pass them under their metrics names; `epoch` is the model's "step"), and says
    whether to stop. The search's state (best prediction so far) is this object's: share one
    across the runs of a search."""

    def __init__(self, model, stop_below=0.5, max_gap=0.0, every=1):
        self.model = model if isinstance(model, Model) else Model(model)
        if self.model.target != "final_test_accuracy":
            raise ValueError("early stopping needs a model of the run's final accuracy (dpa train --target final_test_accuracy)")
        self.every = every
        self.state = _lib.EarlyStop()
        lib.dpa_early_stop_init(self.state, float("nan") if stop_below is None else stop_below, max_gap or 0.0)
        self.last_prediction = None
        self._checked_layouts = set()

    def check(self, module, epoch, **context):
        """True when the run should stop now."""
        if epoch % self.every:
            return False
        if id(module) not in self._checked_layouts:
            self.model.check_layout(layout_of(module))
            self._checked_layouts.add(id(module))
        context = dict(context)
        context.setdefault("step", epoch)
        known = {name: context[name] for name in self.model.context_names if name in context}
        w = flatten(module)
        c = self.model.context_vector(known)
        inputs = self.model._inputs(w, c)
        predicted, decision = _lib.f32(), _lib.ctypes.c_int()
        status = lib.dpa_early_stop_check_inputs(_lib.ctypes.byref(self.model._model), self.state,
                                                 _lib.ctypes.byref(inputs), self.model._scratch,
                                                 len(self.model._scratch), predicted, decision)
        if status not in (_lib.OK, _lib.NON_FINITE):
            from . import DpaError
            raise DpaError(status, "early stopping")
        self.last_prediction = predicted.value
        return decision.value != 0
