#!/usr/bin/python3
"""A live Optuna study of the second architecture (mlp_sweep.py's MLP on Fashion-MNIST: learning
rate, optimizer, dropout, weight decay, batch size, initialisation scale), pruned by
dpa.optuna.SweepPruner at every epoch, RandomSampler; the study in SQLite and the sweep's
statistics zoo in OUT. --check then replays the recorded runs in trial order through a fresh
SweepPruner (dpa.replay, as scripts/sweep-live-replay.py does) and says whether every trial was
stopped at the same step: the replay measures what the live code does.

  /usr/bin/python3 examples/python/mlp_live_sweep.py -o mlp-live --trials 100 --check
  dpa sweep explain sqlite:///mlp-live/study.db mlp-live 17       # why trial 17 was stopped
  dpa sweep draw sqlite:///mlp-live/study.db mlp-live -o mlp-live.svg

Needs the dpa package, Debian python3-torch, python3-optuna and dataset-fashion-mnist."""
import argparse
import os
import sys
import tempfile
import time

import optuna
import torch
from torch import nn

import dpa
import dpa.optuna
import dpa.replay
from mlp_sweep import evaluate, load_data, network, optimizer_of


def objective_of(pruner, data, epochs):
    x, y, xt, yt = data

    def objective(trial):
        config = {"learning_rate": trial.suggest_float("learning_rate", 10 ** -4, 10 ** -0.5, log=True),
                  "optimizer": trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"]),
                  "dropout": trial.suggest_float("dropout", 0.0, 0.6),
                  "weight_decay": trial.suggest_float("weight_decay", 1e-7, 1e-2, log=True),
                  "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
                  "init_scale": trial.suggest_float("init_scale", 0.1, 10 ** 0.5, log=True)}
        torch.manual_seed(trial.number)
        net = network(config["dropout"], config["init_scale"])
        opt = optimizer_of(config, net.parameters())
        for epoch in range(1, epochs + 1):
            net.train()
            for i in torch.randperm(len(x)).split(config["batch_size"]):
                opt.zero_grad()
                nn.functional.cross_entropy(net(x[i]), y[i]).backward()
                opt.step()
            metrics = evaluate(net, x, y, xt, yt)
            pruner.report(trial, epoch, net, metrics)
            if epoch < epochs and trial.should_prune():  # nothing left to save after the last epoch
                raise optuna.TrialPruned()
        return metrics["test_accuracy"]
    return objective


def check(out, live, args):
    """The recorded runs replayed in trial order through a fresh SweepPruner: the same decisions?"""
    runs, layout, statistics = dpa.replay.read_runs(os.path.join(out, "sweep"), finished_only=False)
    with tempfile.TemporaryDirectory() as tmp:
        pruner = dpa.optuna.SweepPruner(os.path.join(tmp, "sweep"), epochs=args.epochs, layout=layout,
                                        seed=args.seed, background=False)
        replayed = dpa.replay.replay(runs, pruner, statistics, seed=args.seed)
    same = [(a.state, a.last_step) == (b.state, b.last_step) for a, b in zip(live.trials, replayed.trials)]
    print("replay of the recorded runs: %d of %d trials decided alike%s" % (
        sum(same), len(same), "" if all(same) else " (first difference: trial %d)" % same.index(False)))
    return all(same)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-o", "--output", required=True, help="a new directory: study.db and the sweep's zoo")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-images", type=int, default=6000)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--check", action="store_true", help="replay the recorded runs and compare the decisions")
    a = ap.parse_args()
    if os.path.exists(a.output) and os.listdir(a.output):
        sys.exit("%s: not empty; a live sweep starts in a new directory" % a.output)
    os.makedirs(a.output, exist_ok=True)
    torch.set_num_threads(1)
    data = load_data(a.data, a.train_images)
    # Refits inside report(): the decisions depend on the seed and the trials alone, so the
    # replay can make the same ones.
    pruner = dpa.optuna.SweepPruner(os.path.join(a.output, "sweep"), epochs=a.epochs, seed=a.seed, background=False)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=os.path.basename(os.path.normpath(a.output)), direction="maximize",
                                storage="sqlite:///%s" % os.path.join(a.output, "study.db"), pruner=pruner,
                                sampler=optuna.samplers.RandomSampler(a.seed))
    start = time.time()
    study.optimize(objective_of(pruner, data, a.epochs), n_trials=a.trials,
                   callbacks=[lambda s, t: t.number % 10 == 9 and print(
                       "%d / %d trials, %.0f s" % (t.number + 1, a.trials, time.time() - start), file=sys.stderr,
                       flush=True)])
    used = sum(t.last_step or 0 for t in study.trials) / (a.epochs * len(study.trials))
    records = [r for t in study.trials for r in pruner.explain(t)]
    print("%d trials: %d completed, %.1f %% of the epochs used, best %.4f; %d of %d decisions compared the "
          "learner's scores" % (len(study.trials), sum(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials),
                                100 * used, study.best_value, sum(r["predicted"] for r in records), len(records)))
    if a.check and not check(a.output, study, a):
        sys.exit(1)


if __name__ == "__main__":
    main()
