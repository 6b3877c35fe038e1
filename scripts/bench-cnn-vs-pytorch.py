#!/usr/bin/env python3
"""Training throughput of the zoo CNN, one core, batch 512, Adam: `dpa zoo train` against PyTorch
on CPU for the same network, measured in the same run (images per second), in two of the zoo's
configurations: relu without dropout, and tanh with dropout 0.3 after each convolution. PyTorch is
skipped with a message where Debian python3-torch is absent.
Usage: bench-cnn-vs-pytorch.py [DPA] [--json]"""
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
configs = [("relu", 0.0), ("tanh", 0.3)]


def ours_once(activation, dropout):
    """dpa's own measure of its training steps (--json), 2 epochs of 20,480 images: start-up and
    checkpoint evaluation are left out, as they are on the PyTorch side."""
    with tempfile.TemporaryDirectory() as out:
        report = subprocess.run([dpa, "zoo", "train", "--data", data, "-o", out + "/z", "--runs", "1", "--epochs", "2",
                                 "--checkpoints", "2", "--train-pool", "20480", "--test-images", "1",
                                 "--train-eval-images", "1", "--threads", "1", "--batch", str(batch), "--optimizer",
                                 "adam", "--activation", activation, "--dropout", str(dropout), "--train-fraction", "1",
                                 "--json"], check=True, stderr=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        return json.loads(report.stdout)["images_per_second_per_thread"]


# The two sides alternate three times and the medians are compared (the machines are shared).
def torch_once(activation, dropout):
    import torch
    from torch import nn
    act = nn.ReLU if activation == "relu" else nn.Tanh
    layers, channels = [], 1
    for _ in range(3):
        layers += [nn.Conv2d(channels, 16, 3, stride=2), act(), nn.Dropout(dropout)]
        channels = 16
    net = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    x = torch.rand(batch, 1, 28, 28) * 2 - 1
    y = torch.randint(0, 10, (batch,))
    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(net(x), y).backward()
        opt.step()
    for _ in range(3):
        step()
    steps = 38
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * batch / (time.perf_counter() - start)


result = {"batch": batch, "threads": 1, "configurations": []}
try:
    import torch
    torch.set_num_threads(1)
    result["pytorch_version"] = torch.__version__
    have_torch = True
except ImportError as e:
    result["pytorch"] = "skipped: %s (install python3-torch)" % e
    have_torch = False
for activation, dropout in configs:
    row = {"activation": activation, "dropout": dropout}
    mine, theirs = [], []
    for _ in range(3):
        mine.append(ours_once(activation, dropout))
        if have_torch:
            theirs.append(torch_once(activation, dropout))
    row["dpa_images_per_second"] = round(sorted(mine)[1])
    row["dpa_runs"] = [round(x) for x in mine]
    if have_torch:
        row["pytorch_images_per_second"] = round(sorted(theirs)[1])
        row["pytorch_runs"] = [round(x) for x in theirs]
        row["ratio_dpa_over_pytorch"] = round(sorted(mine)[1] / sorted(theirs)[1], 2)
    result["configurations"].append(row)
if "--json" in sys.argv:
    print(json.dumps(result, indent=1))
else:
    for row in result["configurations"]:
        print("%s, dropout %.1f: dpa %d images/s" % (row["activation"], row["dropout"], row["dpa_images_per_second"]),
              end="")
        if "pytorch_images_per_second" in row:
            print(", PyTorch %d images/s, ratio %.2fx" % (row["pytorch_images_per_second"],
                                                         row["ratio_dpa_over_pytorch"]))
        else:
            print(" (PyTorch %s)" % result["pytorch"])
