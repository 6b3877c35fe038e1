#!/usr/bin/env python3
"""Early stopping inside a PyTorch training loop, through the runtime's C API (ctypes, libdpa.so).

After each epoch the network's parameters are converted to the zoo's weight vector (per layer the
bias first, then the kernel in TensorFlow order: PyTorch's conv weight (out, in, kh, kw) becomes
(kh, kw, in, out), the dense weight (out, in) becomes (in, out)), and dpa_early_stop_check predicts
the run's final test accuracy and says continue or stop.

  build/dpa train ZOO --checkpoints 1,2,3 --target final_test_accuracy -o final.dpa
  python3 examples/python/torch_early_stop.py final.dpa [--lib build/libdpa.so] [--epochs 3]

Needs Debian python3-torch and python3-numpy; Fashion-MNIST from dataset-fashion-mnist."""
import argparse
import ctypes
import gzip
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


class EarlyStop(ctypes.Structure):  # dpa_early_stop
    _fields_ = [("stop_below", ctypes.c_float), ("max_gap", ctypes.c_float),
                ("best_predicted", ctypes.c_float), ("checks", ctypes.c_uint32), ("stops", ctypes.c_uint32)]


DECISIONS = {0: "continue", 1: "stop: predicted final accuracy below the threshold",
             2: "stop: far below the best run so far"}


class Runtime:
    def __init__(self, library, model_path):
        self.lib = ctypes.CDLL(library)
        self.lib.dpa_status_string.restype = ctypes.c_char_p
        self.lib.dpa_model_scratch_size.restype = ctypes.c_size_t
        self.model_bytes = open(model_path, "rb").read()
        # The runtime keeps pointers into these bytes: keep the buffer alive with the object.
        self.buffer = ctypes.create_string_buffer(self.model_bytes, len(self.model_bytes))
        self.model = ctypes.create_string_buffer(512)  # holds a dpa_model (about 100 bytes)
        status = self.lib.dpa_model_load(self.buffer, ctypes.c_size_t(len(self.model_bytes)), self.model)
        if status != 0:
            sys.exit("model: " + self.lib.dpa_status_string(status).decode())
        self.scratch = ctypes.create_string_buffer(self.lib.dpa_model_scratch_size(self.model) + 64)
        self.state = EarlyStop()
        self.lib.dpa_early_stop_init(ctypes.byref(self.state), ctypes.c_float(0.5), ctypes.c_float(0.0))

    def check(self, weights):
        w = np.ascontiguousarray(weights, dtype=np.float32)
        predicted = ctypes.c_float()
        decision = ctypes.c_int()
        status = self.lib.dpa_early_stop_check(
            self.model, ctypes.byref(self.state), w.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
            ctypes.c_size_t(w.size), self.scratch, ctypes.c_size_t(len(self.scratch)),
            ctypes.byref(predicted), ctypes.byref(decision))
        return status, predicted.value, decision.value


def zoo_cnn(activation=nn.ReLU):
    return nn.Sequential(nn.Conv2d(1, 16, 3, stride=2), activation(), nn.Conv2d(16, 16, 3, stride=2), activation(),
                         nn.Conv2d(16, 16, 3, stride=2), activation(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(16, 10))


def zoo_weights(net):
    """PyTorch parameters -> the zoo's 4970-float vector (bias first, TensorFlow kernel order)."""
    parts = []
    for layer in net:
        if isinstance(layer, nn.Conv2d):
            parts += [layer.bias.detach().numpy().ravel(),
                      layer.weight.detach().numpy().transpose(2, 3, 1, 0).ravel()]  # (out,in,kh,kw)->(kh,kw,in,out)
        elif isinstance(layer, nn.Linear):
            parts += [layer.bias.detach().numpy().ravel(), layer.weight.detach().numpy().T.ravel()]  # (out,in)->(in,out)
    w = np.concatenate(parts).astype(np.float32)
    assert w.size == 4970
    return w


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x803:
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, 1, 28, 28)
    return np.frombuffer(data, np.uint8, offset=8)


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
    for epoch in range(1, a.epochs + 1):
        for i in torch.randperm(len(x)).split(128):
            optimizer.zero_grad()
            nn.functional.cross_entropy(net(x[i]), y[i]).backward()
            optimizer.step()
        with torch.no_grad():
            accuracy = (net(xt).argmax(1) == yt).float().mean().item()
        status, predicted, decision = runtime.check(zoo_weights(net))
        print("epoch %d: test accuracy %.3f; runtime predicts final accuracy %.3f -> %s"
              % (epoch, accuracy, predicted, DECISIONS.get(decision, decision)))
        if decision != 0:
            break


if __name__ == "__main__":
    main()
