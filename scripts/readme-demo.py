#!/usr/bin/env python3
"""The README's demo block is the demo's real output: this script writes it there, and with
--check (a ctest) fails when the README no longer matches what the demo prints, timings apart.

  scripts/readme-demo.py [DPA_BINARY] [--check]

It runs `dpa demo` as scripts/run.sh does (`--zoo tools/data/mini-zoo --workdir build/demo`,
from a scratch directory where those relative paths lead to this checkout's mini zoo and to a
scratch work directory), so nothing in the checkout is written but the README itself."""
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
TIMING = re.compile(r"\d+\.\d+ s\b")


def demo_output(dpa):
    with tempfile.TemporaryDirectory() as scratch:
        os.makedirs(os.path.join(scratch, "tools", "data"))
        os.symlink(os.path.join(ROOT, "tools", "data", "mini-zoo"), os.path.join(scratch, "tools", "data", "mini-zoo"))
        out = subprocess.run([os.path.abspath(dpa), "demo", "--zoo", "tools/data/mini-zoo", "--workdir", "build/demo"],
                             cwd=scratch, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("dpa demo failed: " + out.stderr.strip())
    return out.stdout


def demo_block(text):
    """(start, end) of the lines inside the README's demo block: the fenced block whose first line
    is the demo's first line."""
    match = re.search(r"```\n(1\. zoo .*?)```\n", text, re.S)
    if match is None:
        sys.exit(README + ": no demo block (a fenced block starting with '1. zoo ')")
    return match.start(1), match.end(1)


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    dpa = args[0] if args else os.path.join(ROOT, "build", "dpa")
    actual = demo_output(dpa)
    text = open(README, encoding="utf-8").read()
    start, end = demo_block(text)
    documented = text[start:end]
    if "--check" in sys.argv:
        if TIMING.sub("T s", documented) != TIMING.sub("T s", actual):
            sys.stderr.write("README.md's demo block differs from `dpa demo` (timings apart); run "
                             "scripts/readme-demo.py to update it.\n--- README\n%s--- dpa demo\n%s" % (documented, actual))
            sys.exit(1)
        print("README.md's demo block matches dpa demo")
        return
    if documented == actual:
        print("README.md's demo block is up to date")
        return
    with open(README + ".tmp", "w", encoding="utf-8") as f:
        f.write(text[:start] + actual + text[end:])
    os.replace(README + ".tmp", README)
    print("updated README.md's demo block")


main()
