#!/usr/bin/python3
"""Imports every model in an importer-fixture directory with `dpa import`, predicts the mini zoo's
rows with `dpa predict` and compares with the library's own predictions (NAME.pred.npy).

usage: scripts/check-importers.py DPA DIR ZOO [--json]
  DIR holds NAME.txt (LightGBM), NAME.json / NAME.ubj (XGBoost) and NAME.pred.npy; ZOO is the zoo
  whose weights the libraries' features were computed from (tools/data/mini-zoo).
Prints one line per model: imported and max |dpa - library|, or the rejection message."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def main():
    args = [a for a in sys.argv[1:] if a != "--json"]
    if len(args) != 3:
        sys.exit(__doc__)
    dpa, fixtures, zoo = args
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(os.listdir(fixtures)):
            stem, ext = os.path.splitext(name)
            if ext not in (".txt", ".json", ".ubj"):
                continue
            library = "lightgbm" if ext == ".txt" else "xgboost"
            model = os.path.join(tmp, name + ".dpa")
            run = subprocess.run([dpa, "import", library, os.path.join(fixtures, name), "-o", model],
                                 capture_output=True, text=True)
            row = {"model": name, "imported": run.returncode == 0}
            if run.returncode != 0:
                row["message"] = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
            else:
                out = os.path.join(tmp, name + ".npy")
                subprocess.run([dpa, "predict", model, os.path.join(zoo, "weights.npy"), "-o", out],
                               check=True, capture_output=True)
                ours = np.load(out).reshape(-1).astype(np.float64)
                theirs = np.load(os.path.join(fixtures, stem + ".pred.npy")).reshape(-1)
                row["max_abs_diff"] = float(np.max(np.abs(ours - theirs)))
                row["bytes"] = os.path.getsize(model)
                row["source_bytes"] = os.path.getsize(os.path.join(fixtures, name))
            results.append(row)
    if "--json" in sys.argv:
        print(json.dumps(results, indent=1))
        return
    for r in results:
        if r["imported"]:
            print(f"{r['model']:32} imported  max|diff| {r['max_abs_diff']:.3g}  "
                  f"{r['bytes']} bytes (source {r['source_bytes']})")
        else:
            print(f"{r['model']:32} rejected  {r['message']}")


if __name__ == "__main__":
    main()
