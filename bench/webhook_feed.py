"""Provider webhooks arriving while the load runs (bench/load_mixed.py, bench/faults_postgres.py).

Before the load, `prepare` makes COUNT pending demo contributions in the stack's
database and signs one `checkout.completed` event for each with the demo
provider's key (the same code path as Stripe's events after verification).
During the load a `Feeder` posts them through nginx to /support/webhooks/demo/,
30 % of them twice, shuffled, from several threads, and retries any answer that
is not 2xx (and any timeout or refused connection) as a provider does. `verify`
then reads what the ledger made of them: every contribution paid once, one
payment row each, the sum of the payments equal to the sum of the events.
"""

import http.client
import json
import random
import ssl
import threading
import time

from load_common import shell_json

WEBHOOK_PATH = "/support/webhooks/demo/"
SIGNATURE_HEADER = "Samizdat-Signature"


def prepare(stack, count, seed=1):
    """COUNT pending contributions and their signed events: [(reference, amount, body, sig)]."""
    events = shell_json(stack,
        "import json, random, uuid\n"
        "from samizdat.support.models import Contribution\n"
        "from samizdat.support.providers.base import get_provider\n"
        "demo = get_provider('demo')\n"
        f"rng = random.Random({seed})\n"
        "events = []\n"
        f"for _ in range({count}):\n"
        "    c = Contribution.objects.create(provider='demo', amount_minor=rng.choice([500, 1000,"
        " 2500, 5000]), currency='USD', language='en',"
        " checkout_ref='demo_cs_' + uuid.uuid4().hex[:16])\n"
        "    data = {'reference': c.reference, 'amount_minor': c.amount_minor,"
        " 'currency': c.currency, 'frequency': 'once',"
        " 'payment_id': 'demo_pay_' + uuid.uuid4().hex[:16]}\n"
        "    body, headers = demo.signed(demo.build_event('checkout.completed', data))\n"
        "    events.append([c.reference, c.amount_minor, body.decode(),"
        f" headers[{SIGNATURE_HEADER!r}]])\n"
        "print(json.dumps(events))\n",
        timeout=300)
    return [tuple(item) for item in events]


def deliveries(events, duplicate_share=0.3, seed=1):
    """Every event once, DUPLICATE_SHARE of them twice, shuffled."""
    rng = random.Random(seed)
    sends = list(events) + rng.sample(list(events), round(len(events) * duplicate_share))
    rng.shuffle(sends)
    return sends


class Feeder:
    """Posts the deliveries over SECONDS from THREADS threads, retrying failures."""

    def __init__(self, stack, sends, seconds, threads=2, retry_after=1.0):
        self.stack, self.seconds, self.threads = stack, seconds, threads
        self.retry_after = retry_after
        self.pending = list(sends)
        self.sent = len(sends)
        self.lock = threading.Lock()
        self.statuses = {}  # first-try and retry answers, by status (0: no answer)
        self.accepted = 0
        self.retries = 0
        self.gave_up = 0
        self.workers = []
        self.interval = seconds * threads / max(len(sends), 1)

    def start(self):
        self.began = time.monotonic()
        for _ in range(self.threads):
            worker = threading.Thread(target=self._run, daemon=True)
            worker.start()
            self.workers.append(worker)

    def join(self):
        for worker in self.workers:
            worker.join()

    def _take(self):
        with self.lock:
            return self.pending.pop(0) if self.pending else None

    def _post(self, body, signature):
        try:
            conn = http.client.HTTPSConnection("127.0.0.1", self.stack.ports.https, timeout=10,
                                               context=ssl._create_unverified_context())
            conn.request("POST", WEBHOOK_PATH, body=body.encode(), headers={
                "Host": f"{self.stack.host}:{self.stack.ports.https}",
                "Content-Type": "application/json", SIGNATURE_HEADER: signature})
            status = conn.getresponse().status
            conn.close()
        except OSError:
            status = 0
        return status

    def _run(self):
        deadline = self.began + self.seconds + 120  # retries may run past the load
        while True:
            item = self._take()
            if item is None:
                return
            _reference, _amount, body, signature = item
            tries = 0
            while True:
                status = self._post(body, signature)
                ok = 200 <= status < 300
                give_up = not ok and time.monotonic() > deadline
                with self.lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                    self.accepted += ok
                    self.gave_up += give_up
                    self.retries += not (ok or give_up)
                if ok or give_up:
                    break
                tries += 1
                time.sleep(min(self.retry_after * 2 ** (tries - 1), 8))
            time.sleep(self.interval)

    def summary(self):
        return {"sent": self.sent, "deliveries_accepted": self.accepted,
                "retries": self.retries,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
                "gave_up": self.gave_up}


def report(stack, feeder, events):
    """The feeder's deliveries and what the ledger made of them, for a bench record."""
    return {**feeder.summary(), **verify(stack, events)}


def verify(stack, events):
    """What the ledger made of the events: each applied exactly once."""
    references = [reference for reference, *_rest in events]
    found = shell_json(stack,
        "import json\n"
        "from django.db.models import Count, Sum\n"
        "from samizdat.support.models import Contribution, LedgerEntry\n"
        f"refs = {json.dumps(references)}\n"
        "paid = Contribution.objects.filter(reference__in=refs, status='paid').count()\n"
        "rows = LedgerEntry.objects.filter(contribution__reference__in=refs, kind='payment')\n"
        "per = rows.values('contribution').annotate(n=Count('id'))\n"
        "print(json.dumps({'paid': paid, 'payment_rows': rows.count(),"
        " 'contributions_with_more_than_one_payment': sum(1 for p in per if p['n'] > 1),"
        " 'payments_sum_minor': rows.aggregate(s=Sum('amount_minor'))['s'] or 0}))\n",
        timeout=300)
    expected_sum = sum(amount for _ref, amount, *_rest in events)
    found.update(events=len(events), expected_sum_minor=expected_sum)
    found["exactly_once"] = (found["paid"] == found["payment_rows"] == len(events)
                             and found["contributions_with_more_than_one_payment"] == 0
                             and found["payments_sum_minor"] == expected_sum)
    return found
