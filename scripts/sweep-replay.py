#!/usr/bin/env python3
"""The sweep learner against the curve pruners, as README.md and docs/sweep-learner.md show it: runs
`dpa early-stop ZOO --in-sweep --json` for each --trials N (both percentiles), and prints one
Markdown table per zoo: per rule, mean ± sd over the orders of the epochs saved, the best 10 % of
runs stopped and the regret, and the learner's ratio to the observed-metric baseline.

  scripts/sweep-replay.py ../shared/zoo/fmnist-ref --trials 100,300,600 --orders 40
  scripts/sweep-replay.py MLP_ZOO --trials 300 --history FIRST_SWEEP
  scripts/sweep-replay.py ../shared/zoo/fmnist-ref --trials 600 --percentile 25 --seeds 0,1,2,3,4

--seeds replays each N with each seed (other random orders) and prints, per N and percentile, the
learner against the observed-metric baseline per seed and over all the seeds' orders together.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def replay(dpa, zoo, trials, args):
    command = [dpa, "early-stop", zoo, "--in-sweep", "--trials", str(trials), "--orders", str(args.orders),
               "--at", str(args.at), "--percentile", args.percentile, "--seed", str(args.seed), "--json"]
    if args.history:
        command += ["--history", args.history]
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    return json.loads(subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout)


def ratio_cell(learner, baseline):
    return "**%.2f**" % (learner / baseline) if baseline else "n/a (baseline stopped none)"


def table(report):
    rows = ["| N | rule | epochs saved | best 10 % stopped | ratio to test_accuracy | regret |",
            "|---|---|---|---|---|---|"]
    for r in report:
        baseline = {x["value"]: x["best_runs_stopped"]["mean"] for x in r["rules"]
                    if x["signal"] == "test_accuracy"}
        for x in r["rules"]:
            if x["signal"] == "successive_halving" and x["value"] != 3:
                continue
            name = {"in_sweep": "learner, top %g %% kept", "test_accuracy": "test_accuracy, top %g %% kept",
                    "train_loss": "train_loss, top %g %% kept",
                    "successive_halving": "successive halving eta %g"}[x["signal"]]
            ratio = ""
            if x["signal"] == "in_sweep":
                b = baseline.get(x["value"])
                ratio = ratio_cell(x["best_runs_stopped"]["mean"], b)
            rows.append("| %d | %s | %.1f ± %.1f %% | %.2f ± %.2f of %d | %s | %.4f ± %.4f |" % (
                r["trials"], name % x["value"], 100 * x["epochs_saved_share"]["mean"],
                100 * x["epochs_saved_share"]["sd"], x["best_runs_stopped"]["mean"], x["best_runs_stopped"]["sd"],
                x["best_runs"], ratio, x["regret"]["mean"], x["regret"]["sd"]))
    return "\n".join(rows)


def seeds_table(by_seed):
    """by_seed: [(seed, report)]; per N and percentile, the learner and the baseline per seed and pooled."""
    rows = ["| N | percentile | seed | learner: best 10 % stopped | test_accuracy: best 10 % stopped | ratio |"
            " epochs saved (learner / test_accuracy) |", "|---|---|---|---|---|---|---|"]
    pooled = {}
    for seed, report in by_seed:
        for r in report:
            for x in r["rules"]:
                if x["signal"] not in ("in_sweep", "test_accuracy"):
                    continue
                entry = pooled.setdefault((r["trials"], x["value"]), {}).setdefault(seed, {})
                entry[x["signal"]] = (x["best_runs_stopped"]["mean"], x["epochs_saved_share"]["mean"])
    for (trials, percentile), seeds in sorted(pooled.items()):
        for seed, e in list(seeds.items()) + [("all", None)]:
            if e is None:  # every seed has the same number of orders: the mean of the means is the pooled mean
                e = {k: tuple(sum(s[k][i] for s in seeds.values()) / len(seeds) for i in (0, 1))
                     for k in ("in_sweep", "test_accuracy")}
            learner, baseline = e["in_sweep"], e["test_accuracy"]
            rows.append("| %d | top %g %% kept | %s | %.2f | %.2f | %s | %.1f / %.1f %% |" % (
                trials, percentile, seed, learner[0], baseline[0], ratio_cell(learner[0], baseline[0]),
                100 * learner[1], 100 * baseline[1]))
    return "\n".join(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("zoo")
    p.add_argument("--trials", default="100,300,600")
    p.add_argument("--orders", type=int, default=40)
    p.add_argument("--at", type=int, default=1)
    p.add_argument("--percentile", default="50,25", help="keep the top P %% (Optuna's meaning)")
    p.add_argument("--history", default="")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", default="",
                   help="comma-separated seeds: a table of the learner against the baseline per seed")
    p.add_argument("--dpa", default=os.path.join(ROOT, "build", "dpa"))
    p.add_argument("--json", action="store_true", help="the replays' JSON instead of the table")
    args = p.parse_args()
    if args.seeds:
        by_seed = []
        for seed in args.seeds.split(","):
            args.seed = int(seed)
            by_seed.append((args.seed, [replay(args.dpa, args.zoo, int(n), args) for n in args.trials.split(",")]))
        if args.json:
            print(json.dumps({str(seed): report for seed, report in by_seed}))
            return
        print("%s, decided at step %d, %d orders per N and seed:\n" % (args.zoo, args.at, args.orders))
        print(seeds_table(by_seed))
        return
    report = [replay(args.dpa, args.zoo, int(n), args) for n in args.trials.split(",")]
    if args.json:
        print(json.dumps(report))
        return
    learning = ["learner p%g at N %d: %.1f refits, %.0f %% of decisions by its predictor" % (
        l["percentile"], r["trials"], l["fits"]["mean"], 100 * l["predicted_share"]["mean"])
        for r in report for l in r["learning"]]
    print("%s, decided at step %d, %d orders per N%s:\n" % (
        args.zoo, args.at, args.orders, ", history " + args.history if args.history else ""))
    print(table(report))
    print("\n" + "; ".join(learning) + ".")


if __name__ == "__main__":
    main()
