"""A SweepPruner study read back from its storage: why each trial was stopped or kept, and the whole
sweep drawn as an SVG (every trial's observed curve, stopped and completed, and the steps where the
rule compared the learner's scores). The pip-installed `dpa` command runs it as `dpa sweep`:

    dpa sweep explain sqlite:///study.db my-study 17        # each decision of trial 17
    dpa sweep explain sqlite:///study.db my-study --json    # every trial's
    dpa sweep draw sqlite:///study.db my-study -o sweep.svg
    dpa sweep export sqlite:///study.db my-study -o zoo-dir   # the records as a statistics zoo

(also `python3 -m dpa.sweep ...`). STORAGE is what optuna.load_study takes: an RDB URL, or a
JournalFileStorage's file (a path that exists)."""
import argparse
import json
import math
import os
import sys

import optuna

from ._sweep import CHECKPOINT_ATTR, LAYOUT_ATTR, checkpoint_record, checkpoint_row, decisions

RESERVED_HYPERPARAMETERS = ("epochs", "random_seed")  # recorded as config.hyper.NAME, as the live zoo does


def export_zoo(study, directory):
    """The checkpoint records a SweepPruner stored in the study (every trial's, a killed worker's
    included) written as a statistics zoo in `directory` (new or empty) that every dpa command
    reads, with the release format's metrics.csv.gz. Returns the number of checkpoints."""
    from . import Segment, ZooWriter
    layout = study._storage.get_study_system_attrs(study._study_id).get(LAYOUT_ATTR)
    if layout is None:
        raise ValueError("study %r holds no SweepPruner records (no %s)" % (study.study_name, LAYOUT_ATTR))
    rows = 0
    prefix = CHECKPOINT_ATTR.split("%")[0]
    with ZooWriter(directory, [Segment(*s) for s in layout], store="stats", release_metrics=True) as writer:
        for t in study.get_trials(deepcopy=False):
            records = sorted((int(k[len(prefix):]), r) for k, r in t.system_attrs.items() if k.startswith(prefix))
            for step, stored in records:
                r = checkpoint_record(stored)
                row = checkpoint_row(r)
                config = {("hyper." + k if k in RESERVED_HYPERPARAMETERS else k): v for k, v in t.params.items()}
                config["epochs"] = int(r["e"])
                metrics = {k: v for k, v in r["m"].items() if k != "test_accuracy"}
                writer.add_statistics(row, "%s/%d" % (study.study_name, t.number), step, r["m"]["test_accuracy"],
                                      config, num_weights=int(r["n"]), **metrics)
                rows += 1
    return rows


def describe(trial):
    """One line per decision, for people."""
    lines = ["trial %d: %s" % (trial.number, trial.state.name.lower())]
    for r in decisions(trial):
        if "diverged" in r:
            lines.append("  step %d: diverged (%s not finite): stopped" % (r["step"], ", ".join(r["diverged"]["metrics"])))
            continue
        what = "predicted score %.4f" % r["score"] if r["predicted"] else "observed %.4f" % r["observed"]
        if r["threshold"] is None:
            lines.append("  step %d: %s; not checked (startup, warm-up, interval or too few values)" % (r["step"], what))
            continue
        verdict = "stopped" if r["stop"] else "kept"
        lines.append("  step %d: %s against %.4f, the threshold of %d completed trials: %s%s" % (
            r["step"], what, r["threshold"], r["compared"], verdict,
            " (%s; compared with trials %s)" % (r.get("rule", ""), r.get("compared_trials")) if r["stop"] else ""))
    return "\n".join(lines)


def draw(study, path):
    """The sweep as an SVG: each trial's observed curve by step (completed blue, stopped grey, its
    last point an x), the steps whose decision compared the learner's scores marked orange."""
    trials = [t for t in study.get_trials(deepcopy=False) if t.intermediate_values]
    w, h, pad = 720, 440, 56
    steps = [s for t in trials for s in t.intermediate_values]
    values = [v for t in trials for v in t.intermediate_values.values() if math.isfinite(v)]
    if not values:
        raise ValueError("%s: no intermediate values to draw" % study.study_name)
    x1, y0, y1 = max(steps) or 1, min(values), max(values)
    y1 = y1 if y1 > y0 else y0 + 1
    px = lambda s: pad + s / x1 * (w - 2 * pad)  # noqa: E731
    py = lambda v: h - pad - (v - y0) / (y1 - y0) * (h - 2 * pad)  # noqa: E731
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">'
             % (w, h), '<rect width="100%" height="100%" fill="white"/>',
             '<text x="%d" y="20" font-size="13">%s: %d trials, %d completed; orange: the rule compared the '
             "learner's scores</text>" % (pad, study.study_name, len(trials),
                                          sum(t.state == optuna.trial.TrialState.COMPLETE for t in trials)),
             '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (pad, h - pad, w - pad, h - pad),
             '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>' % (pad, pad, pad, h - pad),
             '<text x="%d" y="%d" text-anchor="middle">step</text>' % (w // 2, h - 16),
             '<text x="14" y="%d" transform="rotate(-90 14 %d)" text-anchor="middle">observed metric</text>'
             % (h // 2, h // 2)]
    ticks = range(0, x1 + 1, max(1, -(-x1 // 10)))  # whole steps, ten at most
    for step in ticks:
        parts.append('<text x="%.0f" y="%d" text-anchor="middle">%d</text>' % (px(step), h - pad + 14, step))
    for k in range(6):
        parts.append('<text x="%d" y="%.0f" text-anchor="end">%.2f</text>' % (pad - 4, py(y0 + (y1 - y0) * k / 5) + 4,
                                                                            y0 + (y1 - y0) * k / 5))
    for t in sorted(trials, key=lambda t: t.state == optuna.trial.TrialState.COMPLETE):
        points = sorted((s, v) for s, v in t.intermediate_values.items() if math.isfinite(v))
        if not points:
            continue
        complete = t.state == optuna.trial.TrialState.COMPLETE
        color, opacity = ("#1f5fa8", 0.8) if complete else ("#888888", 0.5)
        parts.append('<polyline fill="none" stroke="%s" stroke-opacity="%.1f" points="%s"/>' % (
            color, opacity, " ".join("%.1f,%.1f" % (px(s), py(v)) for s, v in points)))
        if not complete:
            s, v = points[-1]
            parts.append('<path d="M%.1f %.1fl6 6m0 -6l-6 6" stroke="#555" transform="translate(-3 -3)"/>'
                         % (px(s), py(v)))
        for r in decisions(t):
            if r.get("predicted") and r.get("observed") is not None:
                parts.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="#e67e22"/>' % (px(r["step"]),
                                                                                      py(r["observed"])))
    parts.append("</svg>")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(parts) + "\n")
    os.replace(path + ".tmp", path)


def _storage(text):
    if os.path.exists(text):  # a journal file
        return optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(text))
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(prog="dpa sweep", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    e = sub.add_parser("explain", help="each decision of a trial (or of every trial), and why")
    e.add_argument("storage")
    e.add_argument("study")
    e.add_argument("trial", type=int, nargs="?")
    e.add_argument("--json", action="store_true")
    d = sub.add_parser("draw", help="the sweep as an SVG")
    d.add_argument("storage")
    d.add_argument("study")
    d.add_argument("-o", "--output", required=True)
    x = sub.add_parser("export", help="the study's checkpoint records as a statistics zoo every dpa command reads")
    x.add_argument("storage")
    x.add_argument("study")
    x.add_argument("-o", "--output", required=True, help="a new or empty directory")
    a = ap.parse_args(argv)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=a.study, storage=_storage(a.storage))
    except KeyError:
        sys.exit("dpa sweep: %s holds no study named %r" % (a.storage, a.study))
    if a.command == "draw":
        draw(study, a.output)
        print("wrote %s" % a.output)
        return
    if a.command == "export":
        try:
            rows = export_zoo(study, a.output)
        except ValueError as e:
            sys.exit("dpa sweep: %s" % e)
        print("wrote %s: %d checkpoints of %d trials" % (a.output, rows, len(study.get_trials(deepcopy=False))))
        return
    trials = study.get_trials(deepcopy=False)
    if a.trial is not None:
        if not 0 <= a.trial < len(trials):
            sys.exit("dpa sweep: study %r has trials 0 to %d, not %d" % (a.study, len(trials) - 1, a.trial))
        trials = [trials[a.trial]]
    if a.json:
        print(json.dumps({t.number: {"state": t.state.name, "decisions": decisions(t)} for t in trials}))
    else:
        print("\n".join(describe(t) for t in trials))


if __name__ == "__main__":
    main()
