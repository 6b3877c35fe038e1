#!/usr/bin/python3
"""How long `dpa report` takes with its default inputs (W-stats, H, W-stats+H: every kind but the
raw weights), and its longest silence on stderr: wall seconds, max RSS, longest silence.

  scripts/bench-report.py ZOO [ZOO ...] [--inputs LIST] [--threads N] [--json]

docs/paper-comparison.md gives the figures for ../shared/zoo/fmnist-ref, alone and with the zoo
that scripts/report-reference.sh grows (build/fmnist-grown)."""
import argparse
import json
import os
import sys
import tempfile

from timed_run import run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("zoos", nargs="+")
    parser.add_argument("--inputs", default="default")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        seconds, rss, silence, _ = run([os.path.join(ROOT, "build", "dpa"), "report", *args.zoos, "-o",
                                        os.path.join(scratch, "report"), "--inputs", args.inputs,
                                        "--threads", str(args.threads)])
    result = {"zoos": args.zoos, "inputs": args.inputs, "threads": args.threads, "seconds": round(seconds, 1),
              "max_rss_mb": round(rss), "longest_silence_s": round(silence, 1)}
    if args.json:
        print(json.dumps(result))
    else:
        print("dpa report %s --inputs %s --threads %d: %.1f s, max RSS %.0f MB, longest silence %.1f s"
              % (" ".join(args.zoos), args.inputs, args.threads, seconds, rss, silence))


if __name__ == "__main__":
    sys.exit(main())
