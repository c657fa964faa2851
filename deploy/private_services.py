"""A PostgreSQL cluster and a Redis server of one's own, on free loopback ports.

Fault tests and benches stop and restart them (tests/deploy/test_worker_faults.py,
bench/faults.py) without touching anyone else's database or cache. Standard
library only; needs Debian's postgresql and redis-server packages.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_bin():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_postgres(argv):
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    argv = [str(a) for a in argv]
    if shutil.which("runuser") and _is_root():
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


def _is_root():
    return os.geteuid() == 0


class PrivatePostgres:
    """initdb in a temporary folder; trust authentication on 127.0.0.1:<port> only."""

    def __init__(self, port=None):
        self.bin = postgres_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL server binaries not found (/usr/lib/postgresql)")
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="samizdat-pg-"))
        if _is_root():
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                  "--no-sync", "-E", "UTF8")
        self.options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c full_page_writes=off")

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}"

    def _run(self, *argv):
        return subprocess.run(_as_postgres(argv), check=True, capture_output=True, text=True,
                              timeout=120)

    def _ctl(self, *args):
        return self._run(self.bin / "pg_ctl", "-D", self.data, "-o", self.options, "-l",
                         self.dir / "pg.log", *args)

    def start(self):
        self._ctl("-w", "start")

    def stop(self, mode="fast"):
        """`fast` disconnects every client (as a restart by the operator does)."""
        self._ctl("-m", mode, "-w", "stop")

    def restart(self):
        began = time.monotonic()
        self._ctl("-m", "fast", "-w", "restart")
        return time.monotonic() - began

    def destroy(self):
        subprocess.run(_as_postgres([self.bin / "pg_ctl", "-D", self.data, "-m", "immediate",
                                     "stop"]), capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivateRedis:
    """redis-server on 127.0.0.1:<port>, no persistence."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="samizdat-redis-"))
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                                  capture_output=True, text=True)
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise TimeoutError(f"redis-server on {self.port} did not start")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        self.proc = None

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
