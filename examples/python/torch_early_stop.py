#!/usr/bin/python3
"""Early stopping inside a PyTorch training loop, through the runtime's C API (ctypes, libdpa.so).

After each epoch the network's parameters are converted to the zoo's weight vector (per layer the
bias first, then the kernel in TensorFlow order: PyTorch's conv weight (out, in, kh, kw) becomes
(kh, kw, in, out), the dense weight (out, in) becomes (in, out)). dpa_early_stop_check_inputs then
predicts the run's final test accuracy from the weights and from what the loop knows (the context
values the model reads: epoch, training and test metrics, hyperparameters), and says continue or
stop. Context names are resolved once, before training; each check passes plain floats.

  build/dpa train ZOO --checkpoints 1,2,3 --target final_test_accuracy --context all -o final.dpa
  /usr/bin/python3 examples/python/torch_early_stop.py final.dpa [--lib build/libdpa.so] [--epochs 3]

Needs Debian python3-torch and python3-numpy; Fashion-MNIST from dataset-fashion-mnist."""
import argparse
import ctypes
import os
import sys

import numpy as np
import torch
from torch import nn

from fashion_mnist import read_idx

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


class EarlyStop(ctypes.Structure):  # dpa_early_stop
    _fields_ = [("stop_below", ctypes.c_float), ("max_gap", ctypes.c_float),
                ("best_predicted", ctypes.c_float), ("checks", ctypes.c_uint32), ("stops", ctypes.c_uint32)]


class Inputs(ctypes.Structure):  # dpa_inputs
    _fields_ = [("weights", ctypes.POINTER(ctypes.c_float)), ("num_weights", ctypes.c_size_t),
                ("context", ctypes.POINTER(ctypes.c_float)), ("num_context", ctypes.c_size_t)]


class ContextInfo(ctypes.Structure):  # dpa_context_info
    _fields_ = [("name", ctypes.c_char_p), ("kind", ctypes.c_uint32), ("transform", ctypes.c_uint32),
                ("num_categories", ctypes.c_uint32)]


DECISIONS = {0: "continue", 1: "stop: predicted final accuracy below the threshold",
             2: "stop: far below the best run so far"}


class Runtime:
    def __init__(self, library, model_path):
        lib = self.lib = ctypes.CDLL(library)
        p = ctypes.c_void_p
        for name, restype, argtypes in [
                ("dpa_status_string", ctypes.c_char_p, [ctypes.c_int]),
                ("dpa_model_struct_size", ctypes.c_size_t, []),
                ("dpa_model_load", ctypes.c_int, [p, ctypes.c_size_t, p]),
                ("dpa_model_scratch_size", ctypes.c_size_t, [p]),
                ("dpa_model_context_info", ctypes.c_int, [p, ctypes.c_uint32, ctypes.POINTER(ContextInfo)]),
                ("dpa_model_context_code", ctypes.c_int, [p, ctypes.c_uint32, ctypes.c_char_p,
                                                          ctypes.POINTER(ctypes.c_float)]),
                ("dpa_early_stop_init", None, [ctypes.POINTER(EarlyStop), ctypes.c_float, ctypes.c_float]),
                ("dpa_early_stop_check_inputs", ctypes.c_int,
                 [p, ctypes.POINTER(EarlyStop), ctypes.POINTER(Inputs), p, ctypes.c_size_t,
                  ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int)])]:
            getattr(lib, name).restype = restype
            getattr(lib, name).argtypes = argtypes
        model_bytes = open(model_path, "rb").read()
        # The runtime keeps pointers into these bytes: keep the buffer alive with the object.
        self.buffer = ctypes.create_string_buffer(model_bytes, len(model_bytes))
        self.model = ctypes.create_string_buffer(lib.dpa_model_struct_size())
        status = lib.dpa_model_load(self.buffer, len(model_bytes), self.model)
        if status != 0:
            sys.exit("%s: %s" % (model_path, lib.dpa_status_string(status).decode()))
        self.scratch = ctypes.create_string_buffer(lib.dpa_model_scratch_size(self.model) + 64)
        self.state = EarlyStop()
        lib.dpa_early_stop_init(ctypes.byref(self.state), 0.5, 0.0)
        self.context = []  # (name, categorical) in the model's order
        info = ContextInfo()
        while lib.dpa_model_context_info(self.model, len(self.context), ctypes.byref(info)) == 0:
            self.context.append((info.name.decode(), info.kind == 1))

    def context_values(self, known):
        """The model's context values from what the loop knows (a dict of metrics-column names)."""
        missing = [name for name, _ in self.context if name not in known]
        if missing:
            sys.exit("the model reads context values this loop does not provide: " + ", ".join(missing))
        values = np.empty(len(self.context), dtype=np.float32)
        for i, (name, categorical) in enumerate(self.context):
            if categorical:  # a category's code: resolved by name (an unseen name has its own code)
                code = ctypes.c_float()
                self.lib.dpa_model_context_code(self.model, i, str(known[name]).encode(), ctypes.byref(code))
                values[i] = code.value
            else:
                values[i] = float(known[name])
        return values

    def check(self, weights, known):
        w = np.ascontiguousarray(weights, dtype=np.float32)
        c = self.context_values(known)
        f = ctypes.POINTER(ctypes.c_float)
        inputs = Inputs(w.ctypes.data_as(f), w.size, c.ctypes.data_as(f), c.size)
        predicted = ctypes.c_float()
        decision = ctypes.c_int()
        status = self.lib.dpa_early_stop_check_inputs(
            self.model, ctypes.byref(self.state), ctypes.byref(inputs), self.scratch, len(self.scratch),
            ctypes.byref(predicted), ctypes.byref(decision))
        if status not in (0, 6):  # 6: NaN/Inf, a diverged run (the decision says stop)
            sys.exit("early stopping: " + self.lib.dpa_status_string(status).decode())
        return predicted.value, decision.value


def zoo_cnn(activation=nn.ReLU):
    return nn.Sequential(nn.Conv2d(1, 16, 3, stride=2), activation(), nn.Conv2d(16, 16, 3, stride=2), activation(),
                         nn.Conv2d(16, 16, 3, stride=2), activation(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(16, 10))


def zoo_weights(net):
    """PyTorch parameters -> the zoo's weight vector (bias first, TensorFlow kernel order)."""
    parts = []
    for layer in net:
        if isinstance(layer, nn.Conv2d):
            parts += [layer.bias.detach().numpy().ravel(),
                      layer.weight.detach().numpy().transpose(2, 3, 1, 0).ravel()]  # (out,in,kh,kw)->(kh,kw,in,out)
        elif isinstance(layer, nn.Linear):
            parts += [layer.bias.detach().numpy().ravel(), layer.weight.detach().numpy().T.ravel()]  # (out,in)->(in,out)
    return np.concatenate(parts).astype(np.float32)  # the runtime checks the length against the model's layout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--lib", default=os.path.join(ROOT, "build", "libdpa.so"))
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=1e-3)
    a = ap.parse_args()
    runtime = Runtime(a.lib, a.model)
    torch.manual_seed(0)
    x = torch.tensor(read_idx(a.data + "/train-images-idx3-ubyte.gz")[:12000], dtype=torch.float32) / 127.5 - 1
    y = torch.tensor(read_idx(a.data + "/train-labels-idx1-ubyte.gz")[:12000], dtype=torch.long)
    xt = torch.tensor(read_idx(a.data + "/t10k-images-idx3-ubyte.gz")[:5000], dtype=torch.float32) / 127.5 - 1
    yt = torch.tensor(read_idx(a.data + "/t10k-labels-idx1-ubyte.gz")[:5000], dtype=torch.long)
    net = zoo_cnn()
    optimizer = torch.optim.Adam(net.parameters(), lr=a.lr, eps=1e-7)
    # The run's hyperparameters under the zoo's column names. PyTorch's default initializers are
    # none of the zoo's: the model gets its "unseen" code for them.
    known = {"config.learning_rate": a.lr, "config.optimizer": "adam", "config.activation": "relu",
             "config.dropout": 0.0, "config.l2reg": 0.0, "config.train_fraction": 1.0,
             "config.init_std": 0.05, "config.w_init": "kaiming_uniform", "config.b_init": "uniform"}
    for epoch in range(1, a.epochs + 1):
        for i in torch.randperm(len(x)).split(128):
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(x[i]), y[i]).backward()
            optimizer.step()
        with torch.no_grad():
            logits, train_logits = net(xt), net(x[:5000])
            known.update(step=epoch, test_accuracy=(logits.argmax(1) == yt).float().mean().item(),
                         test_loss=nn.functional.cross_entropy(logits, yt).item(),
                         train_accuracy=(train_logits.argmax(1) == y[:5000]).float().mean().item(),
                         train_loss=nn.functional.cross_entropy(train_logits, y[:5000]).item())
        predicted, decision = runtime.check(zoo_weights(net), known)
        print("epoch %d: test accuracy %.3f; runtime predicts final accuracy %.3f -> %s"
              % (epoch, known["test_accuracy"], predicted, DECISIONS.get(decision, decision)))
        if decision != 0:
            break


if __name__ == "__main__":
    main()
