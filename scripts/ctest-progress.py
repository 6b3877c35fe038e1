#!/usr/bin/env python3
"""ctest with no long silence: its own lines as they come, and while some tests run longer than
8 s without a line, which ones and for how long ("still running: cli 24 s, hostile 12 s").

  scripts/ctest-progress.py [CTEST ARGUMENTS...]   (exit status: ctest's)"""
import os
import re
import select
import subprocess
import sys
import time

QUIET = 8.0  # seconds without a line before a "still running" line
START = re.compile(r"^\s*Start\s+(\d+): (.*?)\s*$")
END = re.compile(r"^\s*\d+/\d+ Test\s+#(\d+): ")

ctest = subprocess.Popen(["ctest"] + sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
running = {}  # test number -> (name, start time)
last_line = time.monotonic()
pending = b""
while True:
    ready, _, _ = select.select([ctest.stdout], [], [], 1.0)
    now = time.monotonic()
    if ready:
        chunk = os.read(ctest.stdout.fileno(), 65536)
        if not chunk:
            break
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace")
            print(line, flush=True)
            last_line = now
            if (m := START.match(line)):
                running[m.group(1)] = (m.group(2), now)
            elif (m := END.match(line)):
                running.pop(m.group(1), None)
    elif running and now - last_line >= QUIET:
        print("  ... still running: " + ", ".join("%s %.0f s" % (name, now - started)
                                                  for name, started in sorted(running.values(), key=lambda r: r[1])),
              flush=True)
        last_line = now
if pending:
    print(pending.decode("utf-8", "replace"), flush=True)
sys.exit(ctest.wait())
