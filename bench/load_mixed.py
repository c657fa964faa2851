#!/usr/bin/env python3
"""Mixed load for 60 s against the production set-up (make prod-smoke's stack).

~95 % reads of the homes and articles through nginx (TLS, micro-cache), ~5 %
contribution starts with the demo provider (POST /support/ -> 302 to the demo
checkout; uncached, they reach the app and PostgreSQL), and meanwhile signed
provider webhooks (bench/webhook_feed.py: --webhooks payments, 30 % delivered
twice, shuffled, failures retried). Records throughput, p50/p99 and errors in
bench/results/load_mixed.json; afterwards the number of new contributions must
equal the accepted starts, every webhook must be applied exactly once and
check_ledger must pass.

    .venv/bin/python bench/load_mixed.py [--seconds 60] [--connections 32] [--webhooks 300]
"""

import argparse
import datetime
import json
import os
import sys
import time

import webhook_feed
from load_common import (
    BENCH_ENV,
    check_ledger,
    contribution_count,
    reader_urls,
    run_wrk,
    save,
    serial_start_ms,
    smoke_stack,
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", default="32",
                        help="wrk connections; a comma list runs one 60 s round each")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--webhooks", type=int, default=300,
                        help="payments whose webhooks arrive during each round")
    args = parser.parse_args()
    stack = smoke_stack.start(extra_env=BENCH_ENV)
    records = []
    try:
        urls = reader_urls(stack)
        single_start = serial_start_ms(stack)
        for connections in [int(c) for c in args.connections.split(",")]:
            run_wrk(stack, urls, 5, args.threads, connections)  # warm-up, discarded
            time.sleep(12)  # let requests still in flight after wrk's end finish
            events = webhook_feed.prepare(stack, args.webhooks, seed=connections)
            sends = webhook_feed.deliveries(events, seed=connections)
            before = contribution_count(stack)
            feeder = webhook_feed.Feeder(stack, sends, args.seconds)
            feeder.start()
            summary = run_wrk(stack, urls, args.seconds, args.threads, connections)
            feeder.join()
            time.sleep(12)
            created = contribution_count(stack) - before
            records.append({
                "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "set_up": "nginx TLS micro-cache 10 s -> 2 gunicorn (2 "
                + os.environ.get("GUNICORN_WORKER_CLASS", "gthread") + " workers each) "
                          "+ db_worker, PostgreSQL, Redis; production settings",
                "reader_urls": len(urls),
                "cpus": os.cpu_count(),
                "connections": connections,
                **summary,
                "single_start_ms_median": single_start,
                "contributions_created": created,
                # Timed-out starts may still complete: rows lie between accepted and sent.
                "starts_match_rows": summary["start_ok"] <= created <= summary["starts_sent"],
                "webhooks": webhook_feed.report(stack, feeder, events),
                "check_ledger": check_ledger(stack),
            })
    finally:
        smoke_stack.teardown(stack)
    ok = True
    for record in records:
        path = save("load_mixed", record)
        sys.stdout.write(json.dumps(record, indent=2) + f"\nsaved to {path}\n")
        ok = ok and (record["bad_responses"] == 0 and record["socket_errors"] == 0
                     and record["starts_match_rows"] and record["check_ledger"]["exit"] == 0
                     and record["webhooks"]["exactly_once"])
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
