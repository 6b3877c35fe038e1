#!/usr/bin/python3
"""Your own architecture: record a sweep with dpa.ZooWriter, train a predictor with `dpa train`,
and use it in the next sweep. The network here is not the zoo's: 4 convolutions of 32 channels
with BatchNorm. Prints Kendall's tau, over the second sweep's runs, of the runs' final test
accuracy against (a) the predictor's estimate at epoch 1 and (b) the observed test accuracy at
epoch 1 (the learning-curve signal).

  /usr/bin/python3 examples/python/own_architecture.py [--runs 30] [--epochs 6] [--work DIR] [--json]

Needs the dpa package, the dpa binary (build/dpa), Debian python3-torch and dataset-fashion-mnist."""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
import torch
from torch import nn

import dpa
import dpa.torch
from fashion_mnist import read_idx

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def network(dropout):
    layers, channels = [], 1
    for _ in range(4):
        layers += [nn.Conv2d(channels, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.Dropout(dropout)]
        channels = 32
        if len(layers) < 9:
            layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def kendall_tau(a, b):
    a, b = np.asarray(a), np.asarray(b)
    concordant = discordant = 0
    for i in range(len(a)):
        s = np.sign(a[i] - a[i + 1:]) * np.sign(b[i] - b[i + 1:])
        concordant += int(np.sum(s > 0))
        discordant += int(np.sum(s < 0))
    return (concordant - discordant) / max(1, concordant + discordant)


def sweep(data, runs, epochs, seed, on_checkpoint):
    """Trains `runs` networks with random hyperparameters; on_checkpoint(run, step, net, metrics, config)."""
    x, y, xt, yt = data
    rng = np.random.default_rng(seed)
    finals = []
    for run in range(runs):
        config = {"epochs": epochs, "learning_rate": float(10 ** rng.uniform(-3.5, -1)),
                  "optimizer": str(rng.choice(["adam", "sgd"])), "dropout": float(rng.uniform(0, 0.5))}
        torch.manual_seed(seed * 1000 + run)
        net = network(config["dropout"])
        opt = (torch.optim.Adam if config["optimizer"] == "adam" else torch.optim.SGD)(net.parameters(), lr=config["learning_rate"])
        for step in range(epochs + 1):
            if step > 0:
                net.train()
                for i in torch.randperm(len(x)).split(128):
                    opt.zero_grad()
                    nn.functional.cross_entropy(net(x[i]), y[i]).backward()
                    opt.step()
            net.eval()
            with torch.no_grad():
                logits, train_logits = net(xt), net(x[:1000])
                metrics = {"test_accuracy": (logits.argmax(1) == yt).float().mean().item(),
                           "test_loss": nn.functional.cross_entropy(logits, yt).item(),
                           "train_accuracy": (train_logits.argmax(1) == y[:1000]).float().mean().item(),
                           "train_loss": nn.functional.cross_entropy(train_logits, y[:1000]).item()}
            on_checkpoint("run%03d" % run, step, net, metrics, config)
        finals.append(metrics["test_accuracy"])
    return finals


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--train-images", type=int, default=2000)
    ap.add_argument("--work", default=None)
    ap.add_argument("--dpa", default=os.path.join(ROOT, "build", "dpa"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(2)
    work = a.work or tempfile.mkdtemp(prefix="dpa-own-")
    data = (torch.tensor(read_idx(a.data + "/train-images-idx3-ubyte.gz")[:a.train_images], dtype=torch.float32) / 127.5 - 1,
            torch.tensor(read_idx(a.data + "/train-labels-idx1-ubyte.gz")[:a.train_images], dtype=torch.long),
            torch.tensor(read_idx(a.data + "/t10k-images-idx3-ubyte.gz")[:2000], dtype=torch.float32) / 127.5 - 1,
            torch.tensor(read_idx(a.data + "/t10k-labels-idx1-ubyte.gz")[:2000], dtype=torch.long))
    layout = dpa.torch.layout_of(network(0.0))

    # 1. Record a sweep.
    zoo = os.path.join(work, "zoo")
    with dpa.ZooWriter(zoo, layout) as writer:
        sweep(data, a.runs, a.epochs, 1, lambda run, step, net, metrics, config: writer.add(
            dpa.torch.flatten(net), run=run, step=step, config=config, **metrics))
    # 2. A predictor of the final accuracy for every epoch, from weights and the loop's context.
    model_path = os.path.join(work, "final.dpa")
    trained = json.loads(subprocess.run(
        [a.dpa, "train", zoo, "-o", model_path, "--checkpoints", "all", "--target", "final_test_accuracy",
         "--context", "step,train_loss,train_accuracy,test_loss,test_accuracy,hyper", "--test-fraction", "0",
         "--json"], check=True, capture_output=True, text=True).stdout)
    model = dpa.Model(model_path)
    # 3. The next sweep: what each signal said at epoch 1, against how the runs ended.
    predicted, observed = [], []

    def at_epoch_1(run, step, net, metrics, config):
        if step == 1:
            known = dict(metrics, step=1, **{"config." + k: v for k, v in config.items()})
            predicted.append(model.predict(dpa.torch.flatten(net), {n: known[n] for n in model.context_names}))
            observed.append(metrics["test_accuracy"])

    finals = sweep(data, a.runs, a.epochs, 2, at_epoch_1)
    result = {"runs_per_sweep": a.runs, "epochs": a.epochs, "segments": len(layout),
              "weights": sum(s.length for s in layout), "train_rows": trained["train_rows"],
              "tau_predicted_at_epoch_1": kendall_tau(predicted, finals),
              "tau_observed_accuracy_at_epoch_1": kendall_tau(observed, finals)}
    if a.json:
        print(json.dumps(result, indent=1))
        return
    print("4 conv x 32 channels with BatchNorm (%d segments, %d weights), %d runs per sweep, %d epochs" % (
        result["segments"], result["weights"], a.runs, a.epochs))
    print("Kendall tau vs final accuracy, next sweep, at epoch 1: predicted %.3f, observed test accuracy %.3f" % (
        result["tau_predicted_at_epoch_1"], result["tau_observed_accuracy_at_epoch_1"]))


if __name__ == "__main__":
    main()
