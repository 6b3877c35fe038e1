"""A command run as the benchmarks time it: wall seconds, max RSS (per process, from wait4), and the
longest stretch without a line on stderr (progress must speak at least every few seconds)."""
import os
import subprocess
import sys
import threading
import time


def run(cmd):
    """Runs cmd; returns (seconds, max RSS in MB, longest stderr silence in s, stdout)."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    last = [start]
    gap = [0.0]
    out = []

    def read_err():
        for _ in iter(p.stderr.readline, b""):
            now = time.perf_counter()
            gap[0] = max(gap[0], now - last[0])
            last[0] = now

    def read_out():
        out.append(p.stdout.read())

    threads = [threading.Thread(target=read_err), threading.Thread(target=read_out)]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(p.pid, 0)
    end = time.perf_counter()
    for t in threads:
        t.join()
    if status != 0:
        sys.exit("failed (%d): %s" % (status, " ".join(cmd)))
    gap[0] = max(gap[0], end - last[0])
    return end - start, usage.ru_maxrss / 1024.0, gap[0], out[0].decode()
