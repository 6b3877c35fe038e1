#!/usr/bin/python3
"""SweepPruner.report() against PostgreSQL: 3 worker processes share one study on a server this
script starts (scripts/local_postgres.py), 500 trials of 10 steps of the zoo CNN's 8 segments (4970
weights; synthetic, no training: the pruner's own cost), no directory (the study's storage is the
sweep's memory). Reported: report()'s median and p99 over every report, per quarter of the sweep
(as the study grows), and the bytes each checkpoint adds to the storage (the record, and the
database's growth per checkpoint). Goal (#37): median <= 10 ms, p99 <= 50 ms.

  /usr/bin/python3 scripts/bench-sweep-storage.py [--trials 500] [--steps 10] [--workers 3] [--json]
"""
import argparse
import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import local_postgres  # noqa: E402

WORKER = textwrap.dedent("""
    import json, sys, time
    import numpy as np, optuna, warnings
    import dpa, dpa.optuna
    url, name, trials, steps, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore")
    layout = dpa.zoo_layout()
    width = layout[-1].offset + layout[-1].length
    # Never prunes (the top 100 % kept): every trial reports every step, as the goal's 500 x 10 says.
    pruner = dpa.optuna.SweepPruner(None, epochs=steps, percentile=100, layout=layout)
    study = optuna.load_study(study_name=name, storage=url, pruner=pruner)
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(trials):
        trial = study.ask({"lr": optuna.distributions.FloatDistribution(1e-4, 1.0, log=True)})
        quality = rng.uniform(0.2, 0.9)
        for step in range(1, steps + 1):
            weights = rng.normal(0, 0.05 + quality * step / steps, width).astype(np.float32)
            metrics = {"test_accuracy": quality * step / steps, "train_loss": 2.3 - 2 * quality * step / steps}
            start = time.perf_counter()
            pruner.report(trial, step, weights, metrics)
            out.append((time.perf_counter() - start, len(study.get_trials(deepcopy=False))))
            trial.should_prune()
        study.tell(trial, quality)
    print(json.dumps(out))
""")


def quantiles(seconds):
    ms = np.array(seconds) * 1000
    return {"reports": len(ms), "median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99)),
            "max_ms": float(ms.max())}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=500)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    import optuna
    server = local_postgres.Postgres()
    try:
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = optuna.create_study(study_name="bench", storage=server.url, direction="maximize")
        import sqlalchemy
        engine = sqlalchemy.create_engine(server.url)

        def size():
            with engine.connect() as connection:
                return connection.execute(sqlalchemy.text("select pg_database_size('postgres')")).scalar()
        before, start = size(), time.time()
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python") + os.pathsep + os.environ.get("PYTHONPATH", ""))
        share = [a.trials // a.workers + (k < a.trials % a.workers) for k in range(a.workers)]
        workers = [subprocess.Popen([sys.executable, "-c", WORKER, server.url, "bench", str(n), str(a.steps), str(k)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                   for k, n in enumerate(share)]
        results = []
        for w in workers:
            out, err = w.communicate()
            if w.returncode != 0:
                sys.exit("a worker failed:\n" + err)
            results += json.loads(out)
        seconds = time.time() - start
        after = size()
        engine.dispose()
        trials = study.get_trials(deepcopy=False)
        record = max(len(json.dumps(r)) for t in trials for k, r in t.system_attrs.items()
                     if k.startswith("dpa:checkpoint:"))
    finally:
        server.stop()
    checkpoints = len(results)
    by_quarter = []
    for q in range(4):
        low, high = q * a.trials / 4, (q + 1) * a.trials / 4
        by_quarter.append(dict(quantiles([s for s, n in results if low < n <= high]),
                               trials_so_far="%d-%d" % (low, high)))
    report = {"trials": a.trials, "steps": a.steps, "workers": a.workers, "seconds": seconds,
              "report": quantiles([s for s, _ in results]), "by_quarter": by_quarter,
              "record_bytes": record,
              "database_bytes_per_checkpoint": (after - before) / checkpoints if before is not None else None}
    if a.json:
        print(json.dumps(report, indent=1))
        return
    r = report["report"]
    print("%d trials x %d steps, %d workers on PostgreSQL, %.0f s: report() median %.2f ms, p99 %.2f ms, max %.1f ms"
          % (a.trials, a.steps, a.workers, seconds, r["median_ms"], r["p99_ms"], r["max_ms"]))
    for q in by_quarter:
        print("  trials %s so far: median %.2f ms, p99 %.2f ms (%d reports)" % (q["trials_so_far"], q["median_ms"],
                                                                            q["p99_ms"], q["reports"]))
    print("a checkpoint's record: %d bytes; the database grew %.0f bytes per checkpoint"
          % (record, report["database_bytes_per_checkpoint"] or float("nan")))


if __name__ == "__main__":
    main()
