#!/usr/bin/env python3
"""Webhook storm: 1,000 provider events, 30 % duplicated, shuffled, posted concurrently to the
production set-up, end in the ledger that the ordered, unique sequence gives.

1. Builds a reproducible history (tests/support/storm.py: demo and Stripe-shaped gifts
   and plans with declines, abandoned checkouts, renewals, failed renewals, changes,
   pauses, cancellations, refunds and disputes).
2. Reference: a fresh PostgreSQL database, migrated; the same gifts and plans; every
   event once, in the order it happened, through the webhook code in one process; the
   canonical dump (every ledger entry, statuses, amounts, event outcomes) and check_ledger.
3. Storm: the production set-up of `make prod-smoke` (deploy/smoke_stack.py: nginx with
   TLS -> two gunicorn processes with 2 workers each -> PostgreSQL and Redis, a
   db_worker) on free loopback ports and its own database; the events plus 30 % duplicates,
   shuffled, POSTed by --threads threads through nginx, each signed at send time; a
   non-2xx answer is retried with a growing pause, as a provider would.
4. Compares: identical dump, check_ledger clean, every event recorded once and applied
   once, one receipt task per payment.
5. Throughput against a reference from the same run: as many GETs of /funding.json
   (a unique query string each, so nginx passes every one to the app) with the same
   threads, before and after the storm.

    .venv/bin/python bench/webhook_storm.py [--events 1000] [--duplicates 0.3] [--threads 12]

Results are appended to bench/results/webhook_storm.json. Exit status 1 if anything differs.
"""

import argparse
import datetime
import http.client
import json
import os
import socket
import ssl
import sys
import time

from load_common import ROOT, save, smoke_stack

sys.path.insert(0, str(ROOT))
from tests.support import storm  # noqa: E402

STRIPE_ENV = {
    # Stripe on for its webhooks (no API call is made), the demo provider next to it.
    "STRIPE_SECRET_KEY": "sk_test_storm",
    "STRIPE_WEBHOOK_SECRET": storm.STRIPE_WEBHOOK_SECRET,
    "STRIPE_API_BASE": "http://127.0.0.1:9",
    "SAMIZDAT_DEMO_PAYMENTS": "1",
    # Production refuses the demo provider; the bench settings allow it on loopback.
    "DJANGO_SETTINGS_MODULE": "bench.load_settings",
}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shell_json(stack, code, env=None):
    """Run code in `manage.py shell` (optionally on another database); its JSON result."""
    import subprocess

    out = subprocess.run([smoke_stack.PYTHON, "manage.py", "shell", "-c", code], cwd=ROOT,
                         env=env or stack.env, capture_output=True, text=True, timeout=1800)
    if out.returncode:
        raise RuntimeError(f"manage.py shell failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


SCENARIO = """from tests.support import storm
subjects, events = storm.scenario({events}, seed={seed}, ns='S')
"""

REFERENCE = SCENARIO + """
import json
from samizdat.support import webhooks
from samizdat.support.management.commands.check_ledger import find_mismatches
from samizdat.support.providers.base import get_provider

class Delivery:
    def __init__(self, body, headers):
        self.body, self.headers = body, headers

storm.seed_subjects(subjects)
secrets = {{'demo': get_provider('demo').secret, 'stripe': storm.STRIPE_WEBHOOK_SECRET}}
answers = [webhooks.receive(e.provider, Delivery(e.body, storm.signed_headers(e, secrets)))
           for e in events]
assert {{tuple(a) for a in answers}} == {{(200, 'ok')}}, set(map(tuple, answers))
open({path!r}, 'w').write(json.dumps(storm.ledger_dump(subjects, 'S')))
print(json.dumps({{'mismatches': len(find_mismatches())}}))
"""

SEED_AND_SECRET = SCENARIO + """
import json
from samizdat.support.providers.base import get_provider
storm.seed_subjects(subjects)
print(json.dumps(get_provider('demo').secret))
"""

STORM_RESULT = SCENARIO + """
import json
from django_tasks_db.models import DBTaskResult
from samizdat.support.management.commands.check_ledger import find_mismatches
from samizdat.support.models import LedgerEntry, ProviderEvent
open({path!r}, 'w').write(json.dumps(storm.ledger_dump(subjects, 'S')))
records = ProviderEvent.objects.filter(event_id__contains='_S_')
payments = set(LedgerEntry.objects.filter(kind='payment', event__event_id__contains='_S_')
               .values_list('pk', flat=True))
receipts = [r.args_kwargs['args'][0] for r in DBTaskResult.objects.filter(
    task_path='samizdat.support.tasks.send_receipt')]
print(json.dumps({{
    'events_recorded': records.count(),
    'outcomes': sorted(set(records.values_list('outcome', flat=True))),
    'applied_without_time': records.filter(outcome='applied', applied_at__isnull=True).count(),
    'payments': len(payments),
    'receipts_queued_for_payments': sorted(receipts) == sorted(payments),
    'mismatches': len(find_mismatches()),
}}))
"""


def https_factory(stack):
    context = ssl.create_default_context(cafile=str(stack.run_dir / "tls.crt"))

    def connect():
        conn = http.client.HTTPSConnection("127.0.0.1", stack.ports.https, timeout=60,
                                           context=context)
        conn._server_hostname = stack.host  # the certificate is for localhost
        return conn

    return connect


class FundingSender:
    """The reference: GET /funding.json?storm=<n>, a cache miss in nginx every time."""

    def __init__(self, factory, host):
        self.factory, self.host, self.misses = factory, host, 0

    def connect(self):
        return self.factory()

    def __call__(self, conn, item):
        conn.request("GET", f"/funding.json?storm={item.id}", headers={"Host": self.host})
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        if response.getheader("X-Cache") == "MISS":
            self.misses += 1
        return response.status, text[:20]


class Numbered:
    def __init__(self, n):
        self.id = n


def reference_run(stack, threads, count):
    sender = FundingSender(https_factory(stack), f"{stack.host}:{stack.ports.https}")
    result = storm.run_storm([Numbered(f"{time.time_ns()}-{n}") for n in range(count)],
                             sender, threads=threads, max_attempts=1)
    return {"requests": count, "seconds": round(result.seconds, 2),
            "per_second": round(result.per_second, 1), "statuses": result.statuses,
            "nginx_misses": sender.misses}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--duplicates", type=float, default=0.3)
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    subjects, events = storm.scenario(args.events, seed=args.seed, ns="S")
    items = storm.deliveries(events, args.duplicates, seed=args.seed)
    types = sorted({e.payload["type"] for e in events})
    print(f"{len(events)} events for {len(subjects)} gifts and plans, {len(items)} deliveries; "
          f"types: {', '.join(types)}", flush=True)

    ports = smoke_stack.Ports(https=free_port(), http=free_port(), purge=free_port(),
                              app_a=free_port(), app_b=free_port())
    began = time.monotonic()
    stack = smoke_stack.start(ports=ports, database="samizdat_storm",
                              redis_url="redis://127.0.0.1:6379/12", extra_env=STRIPE_ENV)
    ref_db = "samizdat_storm_ref"
    try:
        print(f"production set-up up in {time.monotonic() - began:.0f} s", flush=True)
        # Reference: a fresh database, the ordered unique sequence, in one process.
        smoke_stack.recreate_database(f"{stack.postgres_url}/postgres", ref_db)
        ref_env = dict(stack.env, DATABASE_URL=f"{stack.postgres_url}/{ref_db}")
        import subprocess

        subprocess.run([smoke_stack.PYTHON, "manage.py", "migrate", "--no-input"], cwd=ROOT,
                       env=ref_env, check=True, capture_output=True, timeout=900)
        ref_path = stack.run_dir / "reference.json"
        ref_check = shell_json(stack, REFERENCE.format(events=args.events, seed=args.seed,
                                                       path=str(ref_path)), env=ref_env)
        print(f"reference ledger built ({ref_check['mismatches']} mismatches)", flush=True)

        secret = shell_json(stack, SEED_AND_SECRET.format(events=args.events, seed=args.seed))
        secrets = {"demo": secret, "stripe": storm.STRIPE_WEBHOOK_SECRET}
        before = reference_run(stack, args.threads, len(items))
        sender = storm.HttpSender(https_factory(stack), f"{stack.host}:{stack.ports.https}",
                                  secrets=secrets)
        result = storm.run_storm(items, sender, threads=args.threads, max_attempts=10)
        after = reference_run(stack, args.threads, len(items))

        storm_path = stack.run_dir / "storm.json"
        checks = shell_json(stack, STORM_RESULT.format(events=args.events, seed=args.seed,
                                                       path=str(storm_path)))
        reference_dump = json.loads(ref_path.read_text())
        storm_dump = json.loads(storm_path.read_text())
        same = reference_dump == storm_dump
        differing = [] if same else [
            key for part in ("contributions", "pledges")
            for key in sorted(set(reference_dump[part]) | set(storm_dump[part]))
            if reference_dump[part].get(key) != storm_dump[part].get(key)]
        check_ledger = stack.manage("check_ledger", check=False)
        reference_rate = (before["per_second"] + after["per_second"]) / 2
        record = {
            "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "set_up": "nginx TLS -> 2 gunicorn (2 "
                      + os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
                      + " workers each) + db_worker, PostgreSQL, Redis; production settings",
            "cpus": os.cpu_count(),
            "load_average_before": os.getloadavg()[0],
            "events": len(events), "subjects": len(subjects), "deliveries": len(items),
            "duplicate_share": args.duplicates, "threads": args.threads, "seed": args.seed,
            "storm": {"seconds": round(result.seconds, 2),
                      "deliveries_per_second": round(result.per_second, 1),
                      "attempts": result.attempts, "statuses": result.statuses,
                      "answers": result.bodies, "gave_up": result.gave_up[:20]},
            "reference_funding_json": {"before": before, "after": after},
            "ratio_to_reference": round(result.per_second / reference_rate, 3),
            "same_ledger_as_ordered_unique": same,
            "differing_subjects": differing[:20],
            "ledger_entries": len(storm_dump["ledger"]),
            "reference_mismatches": ref_check["mismatches"],
            "checks": checks,
            "check_ledger_exit": check_ledger.returncode,
            "check_ledger_output": check_ledger.stdout.strip()[-300:],
        }
    finally:
        smoke_stack.drop_database(f"{stack.postgres_url}/postgres", ref_db)
        smoke_stack.teardown(stack)
    path = save("webhook_storm", record)
    print(json.dumps(record, indent=2) + f"\nsaved to {path}")
    ok = (same and not result.gave_up and record["check_ledger_exit"] == 0
          and checks["mismatches"] == 0 and checks["events_recorded"] == len(events)
          and set(checks["outcomes"]) <= {"applied", "ignored"}
          and checks["applied_without_time"] == 0 and checks["receipts_queued_for_payments"])
    print("OK: identical ledger" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
