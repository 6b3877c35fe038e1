#!/usr/bin/python3
"""A second architecture to measure the sweep learner on: a sweep of an MLP (784-64-32-10 with
dropout, 52,650 weights: nothing like the zoo CNN) on Fashion-MNIST, every checkpoint recorded
through dpa.ZooWriter as a statistics zoo. Hyperparameters are sampled per run: learning rate,
optimizer, dropout, weight decay, batch size, initialisation scale. `dpa early-stop ZOO --in-sweep`
then replays the sweep learner on it (scripts/sweep-replay.py).

  /usr/bin/python3 examples/python/mlp_sweep.py -o mlp-sweep --runs 300 --seed 2
  /usr/bin/python3 examples/python/mlp_sweep.py -o mlp-first --runs 150 --seed 1   # a past sweep (--history)

Appends to a zoo it made before (a killed recording goes on where it stopped). Needs the dpa
package, Debian python3-torch and dataset-fashion-mnist."""
import argparse
import os
import sys
import time

import numpy as np
import torch
from torch import nn

import dpa
import dpa.torch
from fashion_mnist import read_idx


def network(dropout, init_scale):
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Dropout(dropout),
                        nn.Linear(64, 32), nn.ReLU(), nn.Dropout(dropout), nn.Linear(32, 10))
    with torch.no_grad():
        for m in net:
            if isinstance(m, nn.Linear):
                m.weight.mul_(init_scale)
    return net


def sample_config(rng, epochs):
    return {"epochs": epochs, "learning_rate": float(10 ** rng.uniform(-4, -0.5)),
            "optimizer": str(rng.choice(["adam", "sgd", "rmsprop"])), "dropout": float(rng.uniform(0, 0.6)),
            "weight_decay": float(10 ** rng.uniform(-7, -2)), "batch_size": int(rng.choice([32, 64, 128, 256])),
            "init_scale": float(10 ** rng.uniform(-1, 0.5))}


def optimizer_of(config, params):
    kind = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}[config["optimizer"]]
    return kind(params, lr=config["learning_rate"], weight_decay=config["weight_decay"])


def evaluate(net, x, y, xt, yt):
    net.eval()
    with torch.no_grad():
        logits, train_logits = net(xt), net(x[:2000])
        return {"test_accuracy": (logits.argmax(1) == yt).float().mean().item(),
                "test_loss": min(nn.functional.cross_entropy(logits, yt).item(), 1e6),
                "train_accuracy": (train_logits.argmax(1) == y[:2000]).float().mean().item(),
                "train_loss": min(nn.functional.cross_entropy(train_logits, y[:2000]).item(), 1e6)}


def train_run(writer, data, run, config, seed):
    x, y, xt, yt = data
    torch.manual_seed(seed)
    net = network(config["dropout"], config["init_scale"])
    opt = optimizer_of(config, net.parameters())
    for step in range(config["epochs"] + 1):
        if step > 0:
            net.train()
            for i in torch.randperm(len(x)).split(config["batch_size"]):
                opt.zero_grad()
                nn.functional.cross_entropy(net(x[i]), y[i]).backward()
                opt.step()
        metrics = evaluate(net, x, y, xt, yt)
        if not all(np.isfinite(v) for v in metrics.values()):
            metrics = {k: (v if np.isfinite(v) else 1e6) for k, v in metrics.items()}  # a diverged run
        writer.add(dpa.torch.flatten(net), run=run, step=step, config=config, **metrics)


def load_data(directory, train_images):
    """Fashion-MNIST as tensors: train_images training images and labels, 2000 test ones."""
    return (torch.tensor(read_idx(directory + "/train-images-idx3-ubyte.gz")[:train_images], dtype=torch.float32) / 255,
            torch.tensor(read_idx(directory + "/train-labels-idx1-ubyte.gz")[:train_images], dtype=torch.long),
            torch.tensor(read_idx(directory + "/t10k-images-idx3-ubyte.gz")[:2000], dtype=torch.float32) / 255,
            torch.tensor(read_idx(directory + "/t10k-labels-idx1-ubyte.gz")[:2000], dtype=torch.long))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", required=True, help="the zoo directory (new, or one this script began)")
    ap.add_argument("--runs", type=int, default=300)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--train-images", type=int, default=6000)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--store", default="stats", choices=["stats", "weights"])
    a = ap.parse_args()
    torch.set_num_threads(1)
    data = load_data(a.data, a.train_images)
    writer = dpa.ZooWriter(a.output, dpa.torch.layout_of(network(0.0, 1.0)), store=a.store)
    done, cut = divmod(writer.rows, a.epochs + 1)  # a restart goes on after the whole runs recorded
    if cut:
        sys.exit("%s: holds %d rows, not whole runs of %d checkpoints (--epochs differs, or another writer "
                 "appended): record into a new directory" % (a.output, writer.rows, a.epochs + 1))
    rng = np.random.default_rng(a.seed)
    start = time.time()
    for run in range(a.runs):
        config = sample_config(rng, a.epochs)  # drawn for every run, so a restart draws the same
        if run < done:
            continue
        train_run(writer, data, "seed%d-run%04d" % (a.seed, run), config, a.seed * 100000 + run)
        if (run + 1) % 10 == 0:
            print("%d / %d runs, %.0f s" % (run + 1, a.runs, time.time() - start), file=sys.stderr, flush=True)
    writer.close()


if __name__ == "__main__":
    main()
