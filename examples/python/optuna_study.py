#!/usr/bin/python3
"""An Optuna search over the zoo CNN's hyperparameters on Fashion-MNIST, pruned two ways with the
same sampler seed and trial budget: Optuna's MedianPruner on the observed test accuracy, and
dpa.optuna.WeightsPruner on the final accuracy a dpa model predicts from the network's weights
and what the loop knows. Prints, per pruner: epochs trained, trials pruned, the best final
accuracy found, and the best trial's rank among all trials trained to the end.

  build/dpa train ../shared/zoo/fmnist-ref -o stop.dpa --checkpoints all --target final_test_accuracy \\
      --context step,train_loss,train_accuracy,test_loss,test_accuracy,config.learning_rate,config.optimizer,config.activation,config.dropout
  /usr/bin/python3 examples/python/optuna_study.py stop.dpa [--trials 24] [--epochs 6] [--json]

Needs the dpa package (pip install --no-build-isolation ./python), Debian python3-torch,
python3-optuna and dataset-fashion-mnist."""
import argparse
import json
import time

import optuna
import torch
from torch import nn

import dpa
import dpa.optuna
import dpa.torch

from fashion_mnist import read_idx


def zoo_cnn(activation, dropout):
    act = {"relu": nn.ReLU, "tanh": nn.Tanh}[activation]
    return nn.Sequential(nn.Conv2d(1, 16, 3, stride=2), act(), nn.Dropout(dropout), nn.Conv2d(16, 16, 3, stride=2), act(),
                         nn.Dropout(dropout), nn.Conv2d(16, 16, 3, stride=2), act(), nn.Dropout(dropout),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--trials", type=int, default=24)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--train-images", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(2)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    model = dpa.Model(a.model)
    x = torch.tensor(read_idx(a.data + "/train-images-idx3-ubyte.gz")[:a.train_images], dtype=torch.float32) / 127.5 - 1
    y = torch.tensor(read_idx(a.data + "/train-labels-idx1-ubyte.gz")[:a.train_images], dtype=torch.long)
    xt = torch.tensor(read_idx(a.data + "/t10k-images-idx3-ubyte.gz")[:2000], dtype=torch.float32) / 127.5 - 1
    yt = torch.tensor(read_idx(a.data + "/t10k-labels-idx1-ubyte.gz")[:2000], dtype=torch.long)

    def run(pruner_name):
        epochs_trained, finals = 0, {}

        def objective(trial):
            nonlocal epochs_trained
            config = {"config.learning_rate": trial.suggest_float("learning_rate", 5e-4, 5e-2, log=True),
                      "config.optimizer": trial.suggest_categorical("optimizer", ["adam", "rmsprop", "sgd"]),
                      "config.activation": trial.suggest_categorical("activation", ["relu", "tanh"]),
                      "config.dropout": trial.suggest_float("dropout", 0.0, 0.6)}
            torch.manual_seed(trial.number)
            net = zoo_cnn(config["config.activation"], config["config.dropout"])
            lr = config["config.learning_rate"]
            opt = {"adam": lambda: torch.optim.Adam(net.parameters(), lr=lr, eps=1e-7),
                   "rmsprop": lambda: torch.optim.RMSprop(net.parameters(), lr=lr, alpha=0.9, eps=1e-7),
                   "sgd": lambda: torch.optim.SGD(net.parameters(), lr=lr)}[config["config.optimizer"]]()
            accuracy = 0.0
            for epoch in range(1, a.epochs + 1):
                net.train()
                for i in torch.randperm(len(x)).split(128):
                    opt.zero_grad()
                    nn.functional.cross_entropy(net(x[i]), y[i]).backward()
                    opt.step()
                epochs_trained += 1
                net.eval()
                with torch.no_grad():
                    logits, train_logits = net(xt), net(x[:2000])
                    accuracy = (logits.argmax(1) == yt).float().mean().item()
                    known = dict(config, test_accuracy=accuracy, test_loss=nn.functional.cross_entropy(logits, yt).item(),
                                 train_accuracy=(train_logits.argmax(1) == y[:2000]).float().mean().item(),
                                 train_loss=nn.functional.cross_entropy(train_logits, y[:2000]).item())
                if pruner_name == "median":
                    trial.report(accuracy, epoch)
                else:
                    dpa.optuna.report(trial, epoch, net, model, known)
                if epoch < a.epochs and trial.should_prune():
                    raise optuna.TrialPruned()
            finals[trial.number] = accuracy
            return accuracy

        pruner = optuna.pruners.MedianPruner(n_startup_trials=5) if pruner_name == "median" else \
            dpa.optuna.WeightsPruner(model, percentile=50, n_startup_trials=5)
        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=a.seed),
                                    pruner=pruner)
        start = time.time()
        study.optimize(objective, n_trials=a.trials)
        completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        return {"pruner": pruner_name, "trials": a.trials, "epochs_trained": epochs_trained,
                "epochs_budget": a.trials * a.epochs, "pruned": a.trials - len(completed),
                "best_final_accuracy": max(t.value for t in completed), "seconds": time.time() - start}

    results = [run("median"), run("weights")]
    if a.json:
        print(json.dumps(results, indent=1))
        return
    print("| pruner | trials pruned | epochs trained | best final accuracy |")
    print("|---|---|---|---|")
    for r in results:
        print("| %s | %d / %d | %d / %d | %.4f |" % (r["pruner"], r["pruned"], r["trials"], r["epochs_trained"],
                                                  r["epochs_budget"], r["best_final_accuracy"]))


if __name__ == "__main__":
    main()
