#!/usr/bin/python3
"""SweepPruner against Optuna's own pruners on the live schedule: every setting decides at every
step (n_warmup_steps 0, interval 1; a SweepPruner setting may say otherwise, as in
40:interval_steps=2) on the same random orders of a zoo's recorded runs, each run a trial of a
fresh Optuna study, through the live code (dpa.replay: SweepPruner.report_statistics and Optuna's
own pruners run by Optuna). Per setting, the mean ± sd over the orders of the epochs used, the
best 10 % of runs stopped and the regret; then each Optuna point (E, B) against the SweepPruner
setting that stops the fewest of the best within E + 1 point of the epochs.

  scripts/sweep-live-replay.py ../shared/zoo/fmnist-ref --trials 100 --orders 40 --seeds 0,1,2,3,4
  scripts/sweep-live-replay.py MLP_ZOO --trials 100 --json out.json --plot tradeoff.svg
  scripts/sweep-live-replay.py --merge seeds01.json seeds234.json   # seeds replayed apart, as one

A weights zoo is converted first (dpa zoo stats, into a temporary directory). Needs the dpa
package (pip install ./python, or PYTHONPATH=python with build/ built) and Debian python3-optuna.
"""
import argparse
import json
import math
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
import optuna  # noqa: E402

import dpa  # noqa: E402
import dpa.optuna  # noqa: E402
import dpa.replay  # noqa: E402
from markdown_table import print_table  # noqa: E402

BASELINES = {
    "median": lambda: optuna.pruners.MedianPruner(),
    "p25": lambda: optuna.pruners.PercentilePruner(25),
    "p50": lambda: optuna.pruners.PercentilePruner(50),
    "p75": lambda: optuna.pruners.PercentilePruner(75),
    "sh": lambda: optuna.pruners.SuccessiveHalvingPruner(),
    "hyperband": lambda: optuna.pruners.HyperbandPruner(),
}
BASELINE_NAMES = {"median": "Optuna MedianPruner", "p25": "Optuna PercentilePruner(25)",
                  "p50": "Optuna PercentilePruner(50)", "p75": "Optuna PercentilePruner(75)",
                  "sh": "Optuna SuccessiveHalvingPruner", "hyperband": "Optuna HyperbandPruner"}

# SweepPruner arguments a setting may give beside its percentile, as Optuna's pruners have them
RULE_ARGUMENTS = ("n_startup_trials", "n_warmup_steps", "interval_steps", "n_min_trials")

_ZOO = {}  # the runs, layout and statistics, loaded once per worker process


def fraction(text):
    """A fraction in [0, 1] written plainly (0.05), or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value <= 1 else None


def ours_setting(setting):
    """'ours:P[:finished][:name=value...]' -> (percentile, partial_curves, SweepPruner arguments):
    the rule's (RULE_ARGUMENTS, whole numbers) and audit (a fraction of the trials never stopped)."""
    parts = setting.split(":")[1:]
    arguments = {}
    for part in parts[1:]:
        if part == "finished":
            continue
        name, _, value = part.partition("=")
        audit = fraction(value) if name == "audit" else None
        if audit is not None:
            arguments[name] = audit
            continue
        if name not in RULE_ARGUMENTS or not value.isdigit():
            raise ValueError("--ours %s: %r is not finished, audit=FRACTION or NAME=WHOLE with NAME one of %s"
                             % (":".join(parts), part, ", ".join(RULE_ARGUMENTS)))
        arguments[name] = int(value)
    return float(parts[0]), "finished" not in parts[1:], arguments


def load(zoo):
    if zoo not in _ZOO:
        _ZOO[zoo] = dpa.replay.read_runs(zoo)
    return _ZOO[zoo]


def orders(n_runs, trials, seeds, count):
    """(seed, order, run indices): the same orders for every setting. With --history-runs H, the
    first H of an order are the history (a past sweep), the next `trials` the sweep replayed."""
    for seed in seeds:
        for k in range(count):
            rng = np.random.default_rng([seed, k])
            yield seed, k, rng.permutation(n_runs)[:trials].tolist()


def one_replay(task):
    zoo, setting, seed, order, chosen, first_step, history = task
    runs, layout, statistics = load(zoo)
    past, picked = [runs[i] for i in chosen[:history]], [runs[i] for i in chosen[history:]]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    name = "replay-seed%d-order%d" % (seed, order)  # HyperbandPruner's brackets hash it: the same every run
    if setting.startswith("ours"):
        percentile, partial, arguments = ours_setting(setting)
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore", dpa.DpaWarning)
            known = [dpa.replay.write_history(past, statistics, layout, os.path.join(tmp, "past"))] if past else []
            pruner = dpa.optuna.SweepPruner(os.path.join(tmp, "sweep"), epochs=max(r.epochs for r in picked),
                                            percentile=percentile, layout=layout, seed=seed, background=False,
                                            partial_curves=partial, history=known, **arguments)
            study = dpa.replay.replay(picked, pruner, statistics, seed=seed, first_step=first_step, study_name=name)
            explained = [pruner.explain(t) for t in study.get_trials(deepcopy=False)]
            pruner.close()
    else:
        study = dpa.replay.replay(picked, BASELINES[setting](), statistics, seed=seed, first_step=first_step,
                                  study_name=name)
        explained = [[] for _ in study.get_trials(deepcopy=False)]
    out = dpa.replay.outcome(study, picked)
    out.update({"setting": setting, "seed": seed, "order": order,
                "predicted_decisions": sum(d["predicted"] for e in explained for d in e),
                "decisions": sum(len(e) for e in explained), "best_lost": best_lost(study, picked, explained)})
    return out


def best_lost(study, runs, explained):
    """Each best-10 % run the study stopped: the fifth of the sweep it came in (0-4), the step it
    was stopped at, and whether that decision compared the learner's scores."""
    trials = study.get_trials(deepcopy=False)  # study.trials would deep-copy them all at each use
    return [[5 * i // len(runs), trials[i].last_step, bool(explained[i] and explained[i][-1]["predicted"])]
            for i in sorted(dpa.replay.best_runs(runs)) if trials[i].state == optuna.trial.TrialState.PRUNED]


def stats_zoo(zoo, dpa_binary, tmp):
    if os.path.isfile(os.path.join(zoo, "statistics.npy")):
        return zoo
    out = os.path.join(tmp, "stats")
    print("$ %s zoo stats %s -o %s" % (dpa_binary, zoo, out), file=sys.stderr, flush=True)
    subprocess.run([dpa_binary, "zoo", "stats", zoo, "-o", out], check=True, stdout=subprocess.DEVNULL)
    return out


def summarize(results, settings):
    out = {}
    for s in settings:
        rs = [r for r in results if r["setting"] == s]
        row = {"replays": len(rs)}
        for key in ("epochs_used", "best_stopped", "regret", "completed", "predicted_decisions", "decisions"):
            values = np.array([r[key] for r in rs], dtype=float)
            row[key] = {"mean": float(values.mean()), "sd": float(values.std(ddof=1)) if len(values) > 1 else None}
        row["best_runs"] = rs[0]["best_runs"]
        out[s] = row
        if not all("best_lost" in r for r in rs):  # --merge of a file written before they were kept
            continue
        lost = [x for r in rs for x in r["best_lost"]]  # per order: divided by the replays
        row["best_lost_at_step"] = {str(k): sum(x[1] == k for x in lost) / len(rs)
                                    for k in sorted({x[1] for x in lost})}
        row["best_lost_by_fifth"] = [sum(x[0] == f for x in lost) / len(rs) for f in range(5)]
        row["best_lost_by_fifth_predicted"] = [sum(x[0] == f and x[2] for x in lost) / len(rs) for f in range(5)]
    return out


def arguments_text(arguments, separator):
    """A setting's SweepPruner arguments as written: name=value, each after the separator."""
    return "".join("%s%s=%s" % (separator, k, ("%g" if isinstance(v, float) else "%d") % v)
                   for k, v in arguments.items())


def label(setting):
    if setting.startswith("ours"):
        _, partial, arguments = ours_setting(setting)
        return "SweepPruner(percentile=%s%s%s)" % (setting.split(":")[1], "" if partial else ", partial_curves=False",
                                                   arguments_text(arguments, ", "))
    return BASELINE_NAMES[setting]


def meeting_points(summary, ours, baselines):
    """For each Optuna point (E, B): the SweepPruner setting with the fewest of the best stopped
    among those using at most E + 1 point of the epochs."""
    rows = []
    for b in baselines:
        e, stopped = summary[b]["epochs_used"]["mean"], summary[b]["best_stopped"]["mean"]
        within = [s for s in ours if summary[s]["epochs_used"]["mean"] <= e + 0.01]
        best = min(within, key=lambda s: (summary[s]["best_stopped"]["mean"], summary[s]["regret"]["mean"]),
                   default=None)
        rows.append({"optuna": b, "epochs_used": e, "best_stopped": stopped, "regret": summary[b]["regret"]["mean"],
                     "ours": best,
                     "ours_epochs_used": summary[best]["epochs_used"]["mean"] if best else None,
                     "ours_best_stopped": summary[best]["best_stopped"]["mean"] if best else None,
                     "ours_regret": summary[best]["regret"]["mean"] if best else None})
    return rows


def cell(x, digits=2, pct=False):
    if x["sd"] is None:
        return ("%.1f %%" % (100 * x["mean"])) if pct else ("%.*f" % (digits, x["mean"]))
    if pct:
        return "%.1f ± %.1f %%" % (100 * x["mean"], 100 * x["sd"])
    return "%.*f ± %.*f" % (digits, x["mean"], digits, x["sd"])


def print_tables(summary, points, settings, meta):
    print("%s, %d trials%s, %s orders × seeds %s: every step decided%s\n"
          % (meta["zoo"], meta["trials"], " of %d finished runs" % meta["runs"] if meta.get("runs") else "",
             meta["orders"], ",".join(str(s) for s in meta["seeds"]),
             "; SweepPruner's history: %d other runs" % meta["history_runs"] if meta.get("history_runs") else ""))
    rows = []
    for s in settings:
        x = summary[s]
        predicted = ("%.0f / %.0f" % (x["predicted_decisions"]["mean"], x["decisions"]["mean"])
                     if s.startswith("ours") else "")
        rows.append([label(s), cell(x["epochs_used"], pct=True), cell(x["best_stopped"]),
                     cell(x["regret"], 4), "%.1f" % x["completed"]["mean"], predicted])
    print_table(["pruner", "epochs used", "best %d stopped" % summary[settings[0]]["best_runs"], "regret",
                 "completed", "decisions predicted"], rows)
    print()
    rows = []
    for p in points:
        ours = ("%s: %.1f %%, %.2f, %.4f" % (label(p["ours"]), 100 * p["ours_epochs_used"], p["ours_best_stopped"],
                                           p["ours_regret"]) if p["ours"] else "none within E + 1 point")
        rows.append([BASELINE_NAMES[p["optuna"]], "%.1f %%" % (100 * p["epochs_used"]), "%.2f" % p["best_stopped"],
                     "%.4f" % p["regret"], ours])
    print_table(["Optuna point", "E (epochs used)", "B (best stopped)", "regret",
                 "SweepPruner within E + 1 point: epochs, best stopped, regret"], rows)


def print_losses(summary, settings):
    """Where each setting loses the best runs: the steps, and the fifths of the sweep (how many of
    those losses came from a decision that compared the learner's scores)."""
    if not all("best_lost_at_step" in summary[s] for s in settings):
        print("\n--losses: some of the merged replays were written without them", file=sys.stderr)
        return
    steps = sorted({int(k) for s in settings for k in summary[s]["best_lost_at_step"]})
    rows = [[label(s)] + ["%.2f" % summary[s]["best_lost_at_step"].get(str(k), 0.0) for k in steps]
            for s in settings]
    print("\nbest runs stopped per order, by the step they were stopped at\n")
    print_table(["pruner"] + ["step %d" % k for k in steps], rows)
    rows = [[label(s)] + ["%.2f (%.2f)" % (a, b) if s.startswith("ours") else "%.2f" % a
                          for a, b in zip(summary[s]["best_lost_by_fifth"], summary[s]["best_lost_by_fifth_predicted"])]
            for s in settings]
    print("\nbest runs stopped per order, by the fifth of the sweep they came in (SweepPruner: of which by a "
          "decision on its learner's scores)\n")
    print_table(["pruner", "first fifth", "second", "third", "fourth", "last"], rows)


def short_label(setting):
    if setting.startswith("ours"):
        _, partial, arguments = ours_setting(setting)
        return "ours %s%s%s" % (setting.split(":")[1], "" if partial else " (finished only)",
                                arguments_text(arguments, " "))
    return {"median": "Median", "p25": "Percentile(25)", "p50": "Percentile(50)", "p75": "Percentile(75)",
            "sh": "SuccessiveHalving", "hyperband": "Hyperband"}[setting]


def plot(summary, settings, path):
    """Epochs used against best 10 % stopped, a point per setting: the trade-off a user picks from
    (Optuna's pruners dark, SweepPruner's settings red; labels moved apart where points crowd)."""
    w, h, pad = 760, 460, 60
    xs = [summary[s]["epochs_used"]["mean"] for s in settings]
    ys = [summary[s]["best_stopped"]["mean"] for s in settings]
    x1 = math.ceil(max(xs) * 10 + 0.5) / 10
    y1 = max(math.ceil(max(ys) + 0.5), 1.0)
    px = lambda x: pad + x / x1 * (w - 2 * pad - 120)  # noqa: E731
    py = lambda y: h - pad - y / y1 * (h - 2 * pad)  # noqa: E731
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" '
             'font-size="11"><rect width="100%%" height="100%%" fill="white"/>' % (w, h),
             '<line x1="%d" y1="%d" x2="%.0f" y2="%d" stroke="black"/>' % (pad, h - pad, px(x1), h - pad),
             '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (pad, pad, pad, h - pad),
             '<text x="%.0f" y="%d" text-anchor="middle">epochs used</text>' % (px(x1 / 2), h - 15),
             '<text x="15" y="%d" transform="rotate(-90 15 %d)" text-anchor="middle">best 10 %% stopped</text>'
             % (h // 2, h // 2)]
    for k in range(int(round(x1 * 10)) + 1):
        parts.append('<text x="%.0f" y="%d" text-anchor="middle">%d %%</text>' % (px(k / 10), h - pad + 15, 10 * k))
    for k in range(int(y1) + 1):
        parts.append('<text x="%d" y="%.0f" text-anchor="end">%d</text>' % (pad - 5, py(k) + 4, k))
    placed = []
    for s, x, y in sorted(zip(settings, xs, ys), key=lambda p: (p[2], p[1])):
        color = "#c0392b" if s.startswith("ours") else "#2c3e50"
        ly = py(y) - 6
        while any(abs(ly - other) < 12 and abs(px(x) - ox) < 110 for ox, other in placed):
            ly -= 12
        placed.append((px(x), ly))
        parts.append('<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>' % (px(x), py(y), color))
        parts.append('<text x="%.1f" y="%.1f" fill="%s">%s</text>' % (px(x) + 6, ly, color, short_label(s)))
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def merged(paths):
    """The replays of several --json files of one zoo, trial count, history and first step (seeds
    replayed apart, on other machines or days), each (setting, seed, order) once; the settings
    replayed on every order of them all, baselines first. Returns the header a --json file has
    (zoo, trials, orders, seeds, history_runs, first_step, runs), the replays and the settings."""
    files = []
    for path in paths:
        try:
            with open(path) as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit("%s: not a sweep-live-replay.py --json file (%s)" % (path, e))
        if not isinstance(d, dict) or not all(k in d for k in ("zoo", "trials", "summary", "replays")):
            sys.exit("%s: not a sweep-live-replay.py --json file (no zoo, trials, summary and replays)" % path)
        files.append(d)

    def kind(d):
        return d["zoo"], d["trials"], d.get("history_runs", 0), d.get("first_step", 1)
    for path, d in zip(paths, files):
        if kind(d) != kind(files[0]):
            sys.exit("%s: another zoo, trial count, history or first step than %s (%s against %s)"
                     % (path, paths[0], kind(d), kind(files[0])))
    replays = {}
    for d in files:
        for r in d["replays"]:
            replays.setdefault((r["setting"], r["seed"], r["order"]), r)
    orders_seen = sorted({(seed, order) for _, seed, order in replays})
    names = []
    for d in files:
        names += [s for s in d["summary"] if s not in names]
    settings = [s for s in names if all((s, seed, order) in replays for seed, order in orders_seen)]
    left_out = [s for s in names if s not in settings]
    if left_out:
        print("left out, not replayed on every order: %s" % ", ".join(left_out), file=sys.stderr)
    ours = sorted((s for s in settings if s.startswith("ours")),
                  key=lambda s: (float(s.split(":")[1]), s))
    settings = [s for s in settings if not s.startswith("ours")] + ours
    seeds = sorted({seed for seed, _ in orders_seen})
    per_seed = {seed: sum(1 for s, _ in orders_seen if s == seed) for seed in seeds}
    first = files[0]
    meta = {"zoo": first["zoo"], "trials": first["trials"],
            "orders": per_seed[seeds[0]] if len(set(per_seed.values())) == 1 else "%d in all" % len(orders_seen),
            "seeds": seeds, "history_runs": first.get("history_runs", 0), "first_step": first.get("first_step", 1),
            "runs": first.get("runs")}
    return meta, [replays[(s, seed, order)] for s in settings for seed, order in orders_seen], settings


def report(meta, results, settings, args):
    """The tables (and with --losses where the best runs were lost), the --json file and the --plot
    of these replays: the same for replays run here and for --merge."""
    summary = summarize(results, settings)
    ours = [s for s in settings if s.startswith("ours")]
    points = meeting_points(summary, ours, [s for s in settings if s not in ours])
    print_tables(summary, points, settings, meta)
    if args.losses:
        print_losses(summary, settings)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(meta, summary=summary, points=points, replays=results), f, indent=1)
    if args.plot:
        plot(summary, settings, args.plot)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("zoo", nargs="?")
    ap.add_argument("--merge", nargs="+", metavar="JSON",
                    help="no replays: the tables of these --json files' replays together (one zoo, trial count "
                         "and history; each setting on every order of them all)")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--orders", type=int, default=10, help="random orders per seed")
    ap.add_argument("--seeds", default="0", help="comma-separated replay seeds")
    ap.add_argument("--ours", default="25,50,75,90",
                    help="SweepPruner settings: percentiles (Optuna's meaning: keep the top P %%), each "
                         "optionally followed by :finished (partial_curves=False, the learner of finished trials "
                         "alone), :audit=FRACTION (trials never stopped) and :NAME=WHOLE for " +
                         ", ".join(RULE_ARGUMENTS) + " (e.g. 40:interval_steps=2)")
    ap.add_argument("--baselines", default=",".join(BASELINES))
    ap.add_argument("--first-step", type=int, default=1,
                    help="the first step reported (1: after the first epoch, as a training loop does)")
    ap.add_argument("--history-runs", type=int, default=0,
                    help="the first H runs of each order are a past sweep, SweepPruner's history (disjoint from "
                         "the runs replayed)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", help="write every replay's outcome and the summary here (with --merge: the merged ones)")
    ap.add_argument("--plot", help="an SVG of epochs used against best 10 %% stopped")
    ap.add_argument("--losses", action="store_true",
                    help="also where the best runs were stopped: by step and by fifth of the sweep")
    ap.add_argument("--dpa", default=os.path.join(ROOT, "build", "dpa"))
    args = ap.parse_args()
    if args.merge:
        if args.zoo:
            ap.error("--merge tables replays already run: give it no zoo")
        report(*merged(args.merge), args)
        return
    if not args.zoo:
        ap.error("a zoo to replay, or --merge")
    seeds = [int(s) for s in args.seeds.split(",")]
    ours = ["ours:" + p for p in args.ours.split(",") if p]
    for s in ours:
        try:
            ours_setting(s)
        except ValueError as e:
            ap.error(str(e))
    baselines = [b for b in args.baselines.split(",") if b]
    for b in baselines:
        if b not in BASELINES:
            ap.error("--baselines: unknown %r (known: %s)" % (b, ", ".join(BASELINES)))
    settings = baselines + ours
    with tempfile.TemporaryDirectory() as tmp:
        zoo = stats_zoo(args.zoo, args.dpa, tmp)
        runs, _, _ = load(zoo)
        needed = args.trials + args.history_runs
        if len(runs) < needed:
            sys.exit("%s: %d finished runs, fewer than --trials %d (+ --history-runs %d)"
                     % (args.zoo, len(runs), args.trials, args.history_runs))
        tasks = [(zoo, s, seed, k, chosen, args.first_step, args.history_runs)
                 for seed, k, chosen in orders(len(runs), needed, seeds, args.orders) for s in settings]
        start, results = time.time(), []
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            for r in pool.imap_unordered(one_replay, tasks):
                results.append(r)
                if len(results) % max(1, len(tasks) // 20) == 0 or len(results) == len(tasks):
                    print("%d / %d replays, %.0f s" % (len(results), len(tasks), time.time() - start),
                          file=sys.stderr, flush=True)
    report({"zoo": args.zoo, "trials": args.trials, "orders": args.orders, "seeds": seeds,
            "history_runs": args.history_runs, "first_step": args.first_step, "runs": len(runs)},
           results, settings, args)


if __name__ == "__main__":
    main()
