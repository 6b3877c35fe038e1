#!/usr/bin/env python3
"""Training throughput of the zoo CNN, one core, batch 512, Adam: `dpa zoo train` against PyTorch
on CPU for the same network, measured in the same run (images per second). PyTorch is skipped with
a message where Debian python3-torch is absent. Usage: bench-cnn-vs-pytorch.py [DPA] [--json]"""
import json
import os
import subprocess
import sys
import tempfile
import time

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
dpa = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else os.path.join(root, "build", "dpa")
data = "/usr/share/datasets/fashion-mnist"
batch = 512


def dpa_seconds(pool):
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([dpa, "zoo", "train", "--data", data, "-o", out + "/z", "--runs", "1", "--epochs", "1",
                        "--checkpoints", "1", "--train-pool", str(pool), "--test-images", "1",
                        "--train-eval-images", "1", "--threads", "1", "--batch", str(batch), "--optimizer", "adam",
                        "--activation", "relu", "--dropout", "0", "--train-fraction", "1"],
                       check=True, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


# The difference of two pool sizes removes start-up (reading the dataset) from the figure; the
# two sides alternate three times and the medians are compared (the machines are shared).
small, large = batch * 2, batch * 40
def ours_once():
    return (large - small) / (dpa_seconds(large) - dpa_seconds(small))
result = {"batch": batch, "threads": 1}
try:
    import torch
    from torch import nn
    torch.set_num_threads(1)
    net = nn.Sequential(nn.Conv2d(1, 16, 3, stride=2), nn.ReLU(), nn.Conv2d(16, 16, 3, stride=2), nn.ReLU(),
                        nn.Conv2d(16, 16, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                        nn.Linear(16, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    x = torch.rand(batch, 1, 28, 28) * 2 - 1
    y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    for _ in range(3):
        step()
    def theirs_once():
        start = time.perf_counter()
        steps = 38
        for _ in range(steps):
            step()
        return steps * batch / (time.perf_counter() - start)
    mine, theirs = [], []
    for _ in range(3):
        mine.append(ours_once())
        theirs.append(theirs_once())
    ours, other = sorted(mine)[1], sorted(theirs)[1]
    result.update({"dpa_images_per_second": round(ours), "pytorch_version": torch.__version__,
                   "pytorch_images_per_second": round(other), "ratio_dpa_over_pytorch": round(ours / other, 2),
                   "dpa_runs": [round(x) for x in mine], "pytorch_runs": [round(x) for x in theirs]})
except ImportError as e:
    result["dpa_images_per_second"] = round(sorted(ours_once() for _ in range(3))[1])
    result["pytorch"] = "skipped: %s (install python3-torch)" % e
if "--json" in sys.argv:
    print(json.dumps(result, indent=1))
else:
    print(result)
