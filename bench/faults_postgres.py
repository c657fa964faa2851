#!/usr/bin/env python3
"""PostgreSQL restarted during mixed load: the app recovers by itself.

Runs the production set-up against a private PostgreSQL cluster (initdb in a
temporary folder, port 8170, so no one else's database restarts), puts the
load_mixed.lua load on it for 60 s and restarts PostgreSQL (`pg_ctl restart
-m fast`) 15 s in. A probe starts one contribution every 0.25 s (uncached, so
it needs the database) and records when answers fail and when they are good
again. Signed provider webhooks arrive all along (bench/webhook_feed.py), and
are retried on any failure as providers do: afterwards none may be lost or
applied twice. Nothing is restarted but PostgreSQL. Results:
bench/results/faults_postgres.json.

    .venv/bin/python bench/faults_postgres.py [--seconds 60] [--restart-at 15] [--webhooks 300]
"""

import argparse
import datetime
import http.client
import json
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import webhook_feed
from load_common import (
    BENCH_ENV,
    CSRF,
    check_ledger,
    contribution_count,
    reader_urls,
    run_wrk,
    save,
    smoke_stack,
)

PG_BIN = Path(sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1])
PORT = 8170


def as_postgres(*argv):
    return subprocess.run(["runuser", "-u", "postgres", "--", *map(str, argv)], check=True,
                          capture_output=True, text=True, timeout=120)


class PrivateCluster:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="samizdat-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        as_postgres(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                    "--no-sync", "-E", "UTF8")
        self.options = f"-p {PORT} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"

    def start(self):
        as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-o", self.options, "-l",
                    self.dir / "pg.log", "-w", "start")

    def restart(self):
        began = time.monotonic()
        as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-o", self.options, "-l",
                    self.dir / "pg.log", "-m", "fast", "-w", "restart")
        return time.monotonic() - began

    def stop(self):
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",
                        str(self.data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def probe(stack, stop, log):
    body = f"frequency=once&currency=USD&amount=7&method=demo&csrfmiddlewaretoken={CSRF}"
    headers = {"Host": f"{stack.host}:{stack.ports.https}", "Origin": stack.public_origin,
               "Sec-Fetch-Site": "same-origin", "Cookie": f"csrftoken={CSRF}",
               "Content-Type": "application/x-www-form-urlencoded"}
    while not stop.is_set():
        began = time.monotonic()
        try:
            conn = http.client.HTTPSConnection("127.0.0.1", stack.ports.https, timeout=15,
                                               context=ssl._create_unverified_context())
            conn.request("POST", "/support/", body=body, headers=headers)
            status = conn.getresponse().status
            conn.close()
        except OSError:
            status = 0
        log.append((began, status))
        time.sleep(0.25)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--restart-at", type=float, default=15.0)
    parser.add_argument("--webhooks", type=int, default=300)
    args = parser.parse_args()
    cluster = PrivateCluster()
    cluster.start()
    stack = None
    try:
        stack = smoke_stack.start(postgres_url=f"postgres://postgres@127.0.0.1:{PORT}",
                                  extra_env=BENCH_ENV)
        urls = reader_urls(stack)
        events = webhook_feed.prepare(stack, args.webhooks)
        sends = webhook_feed.deliveries(events)
        feeder = webhook_feed.Feeder(stack, sends, args.seconds)
        before = contribution_count(stack)
        result, log, stop = {}, [], threading.Event()
        load = threading.Thread(target=lambda: result.update(run_wrk(stack, urls, args.seconds)),
                                daemon=True)
        prober = threading.Thread(target=probe, args=(stack, stop, log), daemon=True)
        t0 = time.monotonic()
        load.start()
        prober.start()
        feeder.start()
        time.sleep(args.restart_at)
        restart_began = time.monotonic() - t0
        restart_seconds = cluster.restart()
        load.join()
        stop.set()
        prober.join()
        feeder.join()
        time.sleep(12)
        failures = [(t - t0, s) for t, s in log if s != 302]
        after = [s for t, s in log if t - t0 > restart_began + restart_seconds + 5]
        record = {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "postgres_restart_at_s": round(restart_began, 1),
            "postgres_restart_took_s": round(restart_seconds, 2),
            "probe_starts": len(log),
            "probe_failures": len(failures),
            "probe_failure_statuses": sorted({s for _t, s in failures}),
            "probe_failure_window_s": ([round(failures[0][0], 1), round(failures[-1][0], 1)]
                                       if failures else None),
            "probe_ok_from_5s_after_restart": bool(after) and all(s == 302 for s in after),
            "load": result,
            "contributions_created": contribution_count(stack) - before,
            "webhooks": webhook_feed.report(stack, feeder, events),
            "check_ledger": check_ledger(stack),
        }
    finally:
        if stack is not None:
            smoke_stack.teardown(stack)
        cluster.stop()
    path = save("faults_postgres", record)
    sys.stdout.write(json.dumps(record, indent=2) + f"\nsaved to {path}\n")
    return 0 if (record["probe_ok_from_5s_after_restart"]
                 and record["webhooks"]["exactly_once"]) else 1


if __name__ == "__main__":
    sys.exit(main())
