#!/usr/bin/env python3
"""A payment API that trickles: do webhooks and readers wait behind hung checkouts?

Starts the production set-up (deploy/smoke_stack.py: nginx → 2 gunicorn
processes × 2 workers, PostgreSQL and Redis of its own on free loopback ports)
once per gunicorn worker class, with Stripe configured against a fake API on
loopback that accepts every request and then sends its answer one byte every
0.5 s (each read well inside any per-read timeout). During ROUND seconds:

- READERS threads press Continue with Stripe over and over (`POST /support/`);
  each start holds a web worker until the provider deadline
  (SAMIZDAT_PROVIDER_TIMEOUT, default 10 s) answers it with the "slow" page (504);
- one thread posts a signed provider webhook (/support/webhooks/demo/) every
  0.25 s and one loads the contribution form (`GET /support/`, never cached),
  each timing its answer.

Reports, per worker class, the webhooks' and the form's latency (median, p95,
max) and statuses. A class may name the app's per-process cap on waiting
provider calls after a colon (SAMIZDAT_PROVIDER_CONCURRENCY; `gthread:0` is
no cap, plain `gthread` the default of 2). Results: bench/results/slow_provider.json.

    .venv/bin/python bench/slow_provider.py [--round 40] [--readers 8]
        [--classes sync,gthread,gthread:0]
"""

import argparse
import datetime
import http.client
import json
import secrets
import socket
import ssl
import statistics
import sys
import threading
import time

import webhook_feed
from load_common import BENCH_ENV, CSRF, save, smoke_stack
from private_services import PrivatePostgres, PrivateRedis, free_port


class TricklingAPI:
    """Accepts, reads the request, then answers a byte every `gap` s (for up to 60 s)."""

    def __init__(self, gap=0.5):
        self.gap, self.stop, self.requests = gap, threading.Event(), 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.requests += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        body = b'{"id": "cs_test_1", "object": "checkout.session", "url": "https://x/"}'
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
        try:
            conn.settimeout(5)
            conn.recv(65536)
            conn.sendall(head)
            for byte in body[: int(60 / self.gap)]:
                if self.stop.is_set():
                    break
                conn.sendall(bytes([byte]))
                time.sleep(self.gap)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()


def https(stack, method, path, body=None, headers=None, timeout=60):
    began = time.monotonic()
    try:
        conn = http.client.HTTPSConnection("127.0.0.1", stack.ports.https, timeout=timeout,
                                           context=ssl._create_unverified_context())
        conn.request(method, path, body=body, headers={
            "Host": f"{stack.host}:{stack.ports.https}", **(headers or {})})
        response = conn.getresponse()
        response.read()
        status = response.status
        conn.close()
    except OSError:
        status = 0
    return status, time.monotonic() - began


def press_continue(stack, stop, log):
    body = f"frequency=once&currency=USD&amount=7&method=stripe&csrfmiddlewaretoken={CSRF}"
    headers = {"Origin": stack.public_origin, "Sec-Fetch-Site": "same-origin",
               "Cookie": f"csrftoken={CSRF}", "Content-Type": "application/x-www-form-urlencoded"}
    while not stop.is_set():
        log.append(https(stack, "POST", "/support/", body, headers))


def post_webhooks(stack, stop, events, log):
    for _reference, _amount, body, signature in events:
        if stop.is_set():
            return
        log.append(https(stack, "POST", webhook_feed.WEBHOOK_PATH, body.encode(), {
            "Content-Type": "application/json", webhook_feed.SIGNATURE_HEADER: signature}))
        time.sleep(0.25)


def load_form(stack, stop, log):
    while not stop.is_set():
        log.append(https(stack, "GET", "/support/?frequency=once&currency=USD&amount=9"))
        time.sleep(0.25)


def summary(log):
    times = sorted(t for _s, t in log)
    statuses = {}
    for status, _t in log:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    if not times:
        return {"count": 0}
    return {"count": len(times), "median_s": round(statistics.median(times), 3),
            "p95_s": round(times[min(len(times) - 1, int(len(times) * 0.95))], 3),
            "max_s": round(times[-1], 3), "statuses": statuses}


def run_class(spec, args, api):
    worker_class, _, concurrency = spec.partition(":")
    threads = args.threads if worker_class == "gthread" else 1
    pg, redis = PrivatePostgres(), PrivateRedis()
    pg.start()
    redis.start()
    ports = smoke_stack.Ports(*(free_port() for _ in range(5)))
    env = dict(BENCH_ENV, STRIPE_SECRET_KEY="sk_test_bench", STRIPE_API_BASE=api.url,
               # production refuses Stripe without a real webhook secret (E017)
               STRIPE_WEBHOOK_SECRET="whsec_" + secrets.token_hex(24),
               SAMIZDAT_DEMO_PAYMENTS="1", GUNICORN_WORKER_CLASS=worker_class,
               GUNICORN_THREADS=str(threads))
    if concurrency:
        env["SAMIZDAT_PROVIDER_CONCURRENCY"] = concurrency
    stack = smoke_stack.start(ports=ports, database="samizdat_slow_provider",
                              postgres_url=pg.url, redis_url=redis.url, extra_env=env)
    try:
        stack.shell("from samizdat.support.models import ContributionSettings\n"
                    "ContributionSettings.objects.update(enabled_methods='stripe,demo')\n")
        events = webhook_feed.prepare(stack, 400)
        stop = threading.Event()
        readers, hooks, forms = [], [], []
        workers = [threading.Thread(target=press_continue, args=(stack, stop, readers))
                   for _ in range(args.readers)]
        workers += [threading.Thread(target=post_webhooks, args=(stack, stop, events, hooks)),
                    threading.Thread(target=load_form, args=(stack, stop, forms))]
        for worker in workers:
            worker.start()
        time.sleep(args.round)
        stop.set()
        for worker in workers:
            worker.join(120)
        verified = webhook_feed.verify(stack, events[:len(hooks)])
        return {"worker_class": worker_class, "threads": threads,
                "provider_concurrency": int(concurrency) if concurrency else "default (2)",
                "continue_presses": summary(readers), "webhooks": summary(hooks),
                "form_page": summary(forms),
                "webhooks_applied_once": verified.get("exactly_once")}
    finally:
        smoke_stack.teardown(stack)
        pg.destroy()
        redis.destroy()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round", type=int, default=40)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--classes", default="sync,gthread,gthread:0")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    args = parser.parse_args()
    api = TricklingAPI()
    try:
        rounds = [run_class(spec, args, api) for spec in args.classes.split(",")]
    finally:
        api.close()
    record = {"when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
              "set_up": "nginx TLS -> 2 gunicorn x 2 workers, private PostgreSQL and Redis; "
                        "Stripe = loopback API trickling 1 byte / 0.5 s",
              "round_s": args.round, "readers": args.readers, "rounds": rounds}
    path = save("slow_provider", record)
    sys.stdout.write(json.dumps(record, indent=2) + f"\nsaved to {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
