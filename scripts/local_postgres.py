"""A PostgreSQL server of Debian's package for tests and benchmarks: its own data directory, a
non-root user (the package's `postgres` when run as root), a free local port; stopped and removed
by stop(). Used by python/tests/test_sweep_storage.py and scripts/bench-sweep-storage.py."""
import os
import shutil
import socket
import subprocess
import tempfile


class Unavailable(Exception):
    """Debian's postgresql is not installed."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A PostgreSQL server of Debian's package in a data directory of its own, as a non-root user
    (the package's `postgres` when the tests run as root), on a free local port."""

    def __init__(self):
        bins = sorted(d for d in (os.path.join("/usr/lib/postgresql", v, "bin")
                                  for v in os.listdir("/usr/lib/postgresql")) if os.path.isfile(d + "/initdb")) \
            if os.path.isdir("/usr/lib/postgresql") else []
        if not bins:
            raise Unavailable("Debian's postgresql is not installed (apt-get install postgresql)")
        self.bin = bins[-1]
        self.root = tempfile.mkdtemp(prefix="dpa-pg-", dir="/tmp")
        self.data = os.path.join(self.root, "data")
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.root, self.user)
        self.run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.run("pg_ctl", "-D", self.data, "-w", "-l", os.path.join(self.root, "log"), "-o",
                 "-p %d -k %s -c listen_addresses=127.0.0.1" % (self.port, self.root), "start")
        self.url = "postgresql+psycopg2://postgres@127.0.0.1:%d/postgres" % self.port

    def run(self, program, *args):
        command = [os.path.join(self.bin, program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--"] + command
        subprocess.run(command, check=True, capture_output=True, cwd=self.root)

    def stop(self):
        try:
            self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
