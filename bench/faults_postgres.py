#!/usr/bin/env python3
"""PostgreSQL and Redis stopped during mixed load: what readers, donors and the worker saw.

Runs the production set-up (deploy/smoke_stack.py) against a PostgreSQL
cluster and a Redis server of its own (deploy/private_services.py: free
loopback ports, so no one else's database or cache goes down), puts the
load_mixed.lua load on it for SECONDS, and during it:

- stops PostgreSQL (`pg_ctl stop -m fast`) at PG_AT s for PG_DOWN s, then starts it;
- stops Redis at REDIS_AT s for REDIS_DOWN s, then starts it (empty, as after a crash).

Probes, each every 0.25 s through nginx, log (time, status): a contribution
start (uncached: app and PostgreSQL), a cached article (what most readers
get) and the same article with a fresh query string (a cache miss: the app
renders it). Signed provider webhooks arrive all along (bench/webhook_feed.py),
30 % twice, shuffled, and are retried on any failure as providers do.
Nothing is restarted by hand but PostgreSQL and Redis; the task worker is
supervised as systemd would (the record says if it had to be restarted).

Reports per outage the reader-facing 5xx (and no-answer) counts of each
probe, then "exactly once": every webhook the provider sent (its own list of
events) is in the ledger exactly once, with the same sum; the task queue
drained; check_ledger. Results: bench/results/faults_postgres.json.

    .venv/bin/python bench/faults_postgres.py [--seconds 90] [--pg-at 15] [--pg-down 8]
        [--redis-at 50] [--redis-down 10] [--webhooks 300]
"""

import argparse
import datetime
import http.client
import json
import ssl
import sys
import threading
import time

import webhook_feed
from load_common import (
    BENCH_ENV,
    CSRF,
    check_ledger,
    contribution_count,
    reader_urls,
    run_wrk,
    save,
    shell_json,
    smoke_stack,
)
from private_services import PrivatePostgres, PrivateRedis, free_port


def _once(stack, method, path, body=None, headers=None):
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", stack.ports.https, timeout=15,
                                           context=ssl._create_unverified_context())
        conn.request(method, path, body=body, headers={
            "Host": f"{stack.host}:{stack.ports.https}", **(headers or {})})
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status
    except OSError:
        return 0


def probe(stack, stop, logs, article):
    start = f"frequency=once&currency=USD&amount=7&method=demo&csrfmiddlewaretoken={CSRF}"
    start_headers = {"Origin": stack.public_origin, "Sec-Fetch-Site": "same-origin",
                     "Cookie": f"csrftoken={CSRF}",
                     "Content-Type": "application/x-www-form-urlencoded"}
    n = 0
    while not stop.is_set():
        n += 1
        began = time.monotonic()
        logs["start"].append((began, _once(stack, "POST", "/support/", start, start_headers)))
        logs["cached_page"].append((time.monotonic(), _once(stack, "GET", article)))
        logs["uncached_page"].append((time.monotonic(),
                                      _once(stack, "GET", f"{article}?probe={n}")))
        time.sleep(max(0.0, 0.25 - (time.monotonic() - began)))


def outage_errors(log, t0, window, good):
    """Answers in [start, end + 5 s] (relative to t0) that a reader would see as failures."""
    start, end = window
    inside = [s for t, s in log if start <= t - t0 <= end + 5]
    failed = [s for s in inside if s not in good]
    statuses = {}
    for status in failed:
        key = "no answer" if status == 0 else str(status)
        statuses[key] = statuses.get(key, 0) + 1
    return {"answers": len(inside), "failed": len(failed), "statuses": statuses}


def task_queue(stack):
    return shell_json(stack,
        "import json\n"
        "from django_tasks_db.models import DBTaskResult\n"
        "from django.db.models import Count\n"
        "rows = DBTaskResult.objects.values('status').annotate(n=Count('id'))\n"
        "print(json.dumps({r['status']: r['n'] for r in rows}))")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=90)
    parser.add_argument("--pg-at", type=float, default=15.0)
    parser.add_argument("--pg-down", type=float, default=8.0)
    parser.add_argument("--redis-at", type=float, default=50.0)
    parser.add_argument("--redis-down", type=float, default=10.0)
    parser.add_argument("--webhooks", type=int, default=300)
    args = parser.parse_args()
    pg, redis = PrivatePostgres(), PrivateRedis()
    pg.start()
    redis.start()
    stack = None
    try:
        ports = smoke_stack.Ports(*(free_port() for _ in range(5)))
        stack = smoke_stack.start(ports=ports, database="samizdat_faults", postgres_url=pg.url,
                                  redis_url=redis.url, extra_env=BENCH_ENV)
        urls = reader_urls(stack)
        article = next(u for u in urls if u.count("/") > 2)
        events = webhook_feed.prepare(stack, args.webhooks)
        feeder = webhook_feed.Feeder(stack, webhook_feed.deliveries(events), args.seconds)
        worker_pid = stack.processes["worker"].pid
        before = contribution_count(stack)
        result, stop = {}, threading.Event()
        logs = {"start": [], "cached_page": [], "uncached_page": []}
        load = threading.Thread(target=lambda: result.update(run_wrk(stack, urls, args.seconds)),
                                daemon=True)
        prober = threading.Thread(target=probe, args=(stack, stop, logs, article), daemon=True)
        t0 = time.monotonic()
        load.start()
        prober.start()
        feeder.start()
        windows = {}
        for name, at, down, halt, resume in (
                ("postgres", args.pg_at, args.pg_down, pg.stop, pg.start),
                ("redis", args.redis_at, args.redis_down, redis.stop, redis.start)):
            time.sleep(max(0.0, at - (time.monotonic() - t0)))
            began = time.monotonic() - t0
            halt()
            time.sleep(down)
            resume()
            windows[name] = (round(began, 1), round(time.monotonic() - t0, 1))
        load.join()
        stop.set()
        prober.join()
        feeder.join()
        time.sleep(15)  # the worker drains what the webhooks queued
        good = {"start": {302}, "cached_page": {200}, "uncached_page": {200}}
        record = {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "set_up": "nginx TLS -> 2 gunicorn x 2 sync workers + supervised db_worker; "
                      "private PostgreSQL and Redis",
            "outages_s": windows,
            "reader_failures": {
                name: {probe_name: outage_errors(log, t0, window, good[probe_name])
                       for probe_name, log in logs.items()}
                for name, window in windows.items()},
            "probe_answers": {name: len(log) for name, log in logs.items()},
            "reader_failures_outside_outages": sum(
                1 for name, log in logs.items() for t, s in log
                if s not in good[name] and not any(a <= t - t0 <= b + 5
                                                   for a, b in windows.values())),
            "load": result,
            "contributions_created": contribution_count(stack) - before,
            "webhooks": webhook_feed.report(stack, feeder, events),
            "worker": {"same_process": stack.processes["worker"].pid == worker_pid,
                       "restarts": stack.restarts.get("worker", 0),
                       "tasks": task_queue(stack)},
            "check_ledger": check_ledger(stack),
        }
    finally:
        if stack is not None:
            smoke_stack.teardown(stack)
        pg.destroy()
        redis.destroy()
    path = save("faults_postgres", record)
    sys.stdout.write(json.dumps(record, indent=2) + f"\nsaved to {path}\n")
    return 0 if record["webhooks"]["exactly_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
