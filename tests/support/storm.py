"""A webhook storm: a reproducible history of provider events, delivered out of order.

Used by tests/support/test_webhook_storm.py and bench/webhook_storm.py. `scenario()`
builds gifts and plans (demo provider and Stripe-shaped events) and every event their
lives produce — payments, declines, abandoned checkouts, renewals, failed renewals,
plan changes, pauses, cancellations, refunds, disputes — in the order they happened.
Some later events carry no reference of ours, as providers' renewals and refunds often
do, so they wait for the checkout that links them. `deliveries()` duplicates and shuffles
them; `run_storm()` posts them from several threads, signed at send time (a provider signs
every attempt), retrying any non-2xx answer as a provider would. `seed_subjects()` and
`ledger_dump()` need Django; the rest is plain Python, so a bench can drive a server.

Every id carries a namespace (`_<ns>_`), so two copies of one history can share a
database; `ledger_dump()` strips it, so their dumps compare equal when they agree.
"""

import hashlib
import hmac
import json
import queue
import random
import threading
import time
from dataclasses import dataclass, field

DEMO_SECRET = "storm-demo-secret"
STRIPE_WEBHOOK_SECRET = "whsec_storm_5f3a9c1e7b2d4086a1c3e5f7"
SIGNATURE_HEADERS = {"demo": "Samizdat-Signature", "stripe": "Stripe-Signature"}
T0 = 1767225600  # 2026-01-01 00:00 UTC: the history is in the past, as a backlog would be
DAY = 86400


@dataclass
class Subject:
    key: str  # namespace-free name, e.g. "g12"
    kind: str  # "contribution" | "pledge"
    provider: str
    reference: str
    amount_minor: int
    currency: str
    frequency: str = "once"
    email: str = ""


@dataclass
class Event:
    provider: str
    payload: dict
    occurred: float = 0.0

    @property
    def id(self):
        return self.payload["id"]

    @property
    def body(self):
        return json.dumps(self.payload, separators=(",", ":")).encode()


def sign(body, secret, timestamp=None):
    """"t=<unix>,v1=<HMAC-SHA256 of '<t>.<body>'>": Stripe's scheme, which the demo shares."""
    timestamp = int(time.time() if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def signed_headers(event, secrets=None):
    secrets = secrets or {"demo": DEMO_SECRET, "stripe": STRIPE_WEBHOOK_SECRET}
    return {"Content-Type": "application/json",
            SIGNATURE_HEADERS[event.provider]: sign(event.body, secrets[event.provider])}


class _History:
    """Builds one namespace's subjects and events."""

    def __init__(self, rng, ns):
        self.rng, self.ns = rng, ns
        self.subjects, self.events = [], []
        self._n = 0

    def id(self, prefix):
        self._n += 1
        return f"{prefix}_{self.ns}_{self._n}"

    def subject(self, kind, provider, frequency="once"):
        index = len(self.subjects)
        rng = self.rng
        currency = rng.choice(["USD", "EUR", "GBP"])
        if frequency == "once":
            amount = rng.choice([1000, 2500, 5000, 10000, rng.randint(200, 100000)])
        else:
            amount = rng.choice([200, 500, 1000, 2500]) * (10 if frequency == "annual" else 1)
        key = f"{kind[0]}{index}"
        subject = Subject(key=key, kind=kind, provider=provider, reference=f"ST-{self.ns}-{index}",
                          amount_minor=amount, currency=currency, frequency=frequency,
                          email=f"reader{index}@example.org" if kind == "pledge" else "")
        self.subjects.append(subject)
        return subject

    # demo events: {"id", "type", "created", "created_us", "data"} --------------------
    def demo(self, when, event_type, data):
        event = {"id": self.id("evt_demo"), "type": event_type, "created": int(when),
                 "created_us": int(when * 1_000_000), "data": data}
        self.events.append(Event("demo", event, when))

    def demo_base(self, subject, with_reference=True):
        data = {"amount_minor": subject.amount_minor, "currency": subject.currency,
                "frequency": subject.frequency}
        if with_reference:
            data["reference"] = subject.reference
        return data

    def demo_gift(self, start):
        s = self.subject("contribution", "demo")
        rng, t = self.rng, start
        roll = rng.random()
        if roll < 0.10:
            self.demo(t, "checkout.abandoned", self.demo_base(s))
            return
        if roll < 0.25:
            self.demo(t, "checkout.declined", self.demo_base(s))
            t += rng.randint(60, 3600)
            if roll < 0.15:
                return  # declined, never paid
        payment = self.id("demo_pay")
        self.demo(t, "checkout.completed", {**self.demo_base(s), "payment_id": payment})
        if rng.random() < 0.3:
            t += rng.randint(1, 40) * DAY
            amount = s.amount_minor if rng.random() < 0.5 else s.amount_minor // 2
            # A refund names the payment; only some name our reference.
            self.demo(t, "payment.refunded", {
                **self.demo_base(s, with_reference=rng.random() < 0.5),
                "payment_id": payment, "refund_id": self.id("demo_re"), "amount_minor": amount})

    def demo_plan(self, start):
        rng = self.rng
        s = self.subject("pledge", "demo", rng.choice(["monthly", "monthly", "annual"]))
        period = 30 * DAY if s.frequency == "monthly" else 365 * DAY
        subscription = self.id("demo_sub")
        t = start
        if rng.random() < 0.1:
            self.demo(t, "checkout.declined", self.demo_base(s))
            t += rng.randint(60, 3600)
        self.demo(t, "checkout.completed", {**self.demo_base(s), "subscription_id": subscription,
                                            "invoice_id": self.id("demo_in")})
        fails = 0
        amount = s.amount_minor
        for _period in range(rng.randint(0, 5)):
            t += period
            data = {**self.demo_base(s, with_reference=rng.random() < 0.5),
                    "subscription_id": subscription, "amount_minor": amount}
            if rng.random() < 0.2:
                fails += 1
                self.demo(t, "renewal.failed", data)
                if fails >= 3:
                    self.demo(t + 60, "plan.canceled", {**data, "reason": "payment_failed"})
                    return
                continue
            fails = 0
            self.demo(t, "renewal.paid", {**data, "invoice_id": self.id("demo_in")})
            roll = rng.random()
            if roll < 0.15:
                amount = rng.choice([300, 700, 1500])
                self.demo(t + DAY, "plan.changed", {**self.demo_base(s),
                                                    "subscription_id": subscription,
                                                    "amount_minor": amount})
            elif roll < 0.25:
                self.demo(t + DAY, "plan.paused", {**self.demo_base(s),
                                                   "subscription_id": subscription})
                self.demo(t + 2 * DAY, "plan.resumed", {**self.demo_base(s),
                                                        "subscription_id": subscription})
        if rng.random() < 0.3:
            self.demo(t + 3 * DAY, "plan.canceled", {**self.demo_base(s),
                                                     "subscription_id": subscription,
                                                     "reason": "requested"})

    # Stripe-shaped events ---------------------------------------------------------------
    def stripe(self, when, event_type, obj):
        event = {"id": self.id("evt"), "object": "event", "api_version": "2026-10-28.endive",
                 "created": int(when), "livemode": False, "pending_webhooks": 1,
                 "type": event_type, "data": {"object": obj}}
        self.events.append(Event("stripe", event, when))

    def stripe_gift(self, start):
        rng = self.rng
        s = self.subject("contribution", "stripe")
        t = start
        session = {"id": self.id("cs"), "object": "checkout.session", "mode": "payment",
                   "client_reference_id": s.reference,
                   "metadata": {"samizdat_reference": s.reference},
                   "amount_total": s.amount_minor, "currency": s.currency.lower(),
                   "customer": self.id("cus"),
                   "customer_details": {"email": f"payer{len(self.subjects)}@example.org"},
                   "payment_status": "paid", "status": "complete",
                   "payment_intent": self.id("pi")}
        roll = rng.random()
        if roll < 0.1:
            self.stripe(t, "checkout.session.expired", {**session, "status": "expired",
                                                        "payment_status": "unpaid"})
            return
        if roll < 0.25:  # a delayed method (SEPA): completed unpaid, then the outcome
            self.stripe(t, "checkout.session.completed", {**session, "payment_status": "unpaid"})
            t += rng.randint(1, 4) * DAY
            if roll < 0.15:
                self.stripe(t, "checkout.session.async_payment_failed", session)
                return
            self.stripe(t, "checkout.session.async_payment_succeeded", session)
        else:
            self.stripe(t, "checkout.session.completed", session)
        charge = {"id": self.id("ch"), "object": "charge", "payment_intent":
                  session["payment_intent"], "currency": s.currency.lower(),
                  "amount": s.amount_minor, "customer": session["customer"]}
        if rng.random() < 0.3:
            t += rng.randint(1, 20) * DAY
            amount = rng.choice([s.amount_minor, s.amount_minor // 4])
            self.stripe(t, "charge.refunded", {**charge, "amount_refunded": amount, "refunds": {
                "object": "list", "data": [{"id": self.id("re"), "amount": amount}]}})
        if rng.random() < 0.15:
            t += rng.randint(1, 30) * DAY
            self.stripe(t, "charge.dispute.created", {
                "id": self.id("dp"), "object": "dispute", "charge": charge["id"],
                "payment_intent": session["payment_intent"], "amount": s.amount_minor,
                "currency": s.currency.lower(), "status": "needs_response"})

    def stripe_plan(self, start):
        rng = self.rng
        s = self.subject("pledge", "stripe", rng.choice(["monthly", "annual"]))
        interval = "month" if s.frequency == "monthly" else "year"
        period = 30 * DAY if interval == "month" else 365 * DAY
        subscription, customer = self.id("sub"), self.id("cus")
        t = start
        self.stripe(t, "checkout.session.completed", {
            "id": self.id("cs"), "object": "checkout.session", "mode": "subscription",
            "client_reference_id": s.reference, "metadata": {"samizdat_reference": s.reference},
            "customer": customer, "customer_details": {"email": s.email},
            "payment_status": "paid", "status": "complete", "subscription": subscription})

        def invoice(amount, with_reference):
            metadata = {"samizdat_reference": s.reference} if with_reference else {}
            return {"id": self.id("in"), "object": "invoice", "customer": customer,
                    "currency": s.currency.lower(), "amount_paid": amount, "amount_due": amount,
                    "payment_intent": self.id("pi"), "status": "paid",
                    "parent": {"type": "subscription_details", "subscription_details": {
                        "subscription": subscription, "metadata": metadata}}}

        amount = s.amount_minor
        self.stripe(t + 5, "invoice.paid", invoice(amount, True))
        for _period in range(rng.randint(0, 4)):
            t += period
            if rng.random() < 0.2:
                self.stripe(t, "invoice.payment_failed", {**invoice(amount, False),
                                                          "amount_paid": 0, "status": "open"})
                t += 3 * DAY
            self.stripe(t, "invoice.paid", invoice(amount, rng.random() < 0.5))
            if rng.random() < 0.15:
                amount = rng.choice([300, 1200, 3000])
                self.stripe(t + DAY, "customer.subscription.updated", {
                    "id": subscription, "object": "subscription", "status": "active",
                    "customer": customer, "metadata": {"samizdat_reference": s.reference},
                    "items": {"data": [{"id": self.id("si"), "price": {
                        "unit_amount": amount, "currency": s.currency.lower(),
                        "recurring": {"interval": interval}}}]}})
        if rng.random() < 0.3:
            self.stripe(t + 2 * DAY, "customer.subscription.deleted", {
                "id": subscription, "object": "subscription", "status": "canceled",
                "customer": customer, "metadata": {"samizdat_reference": s.reference}})


def scenario(count, seed=0, ns="S"):
    """(subjects, events in the order they happened): at least `count` events, whole lives."""
    history = _History(random.Random(seed), ns)
    makers = [history.demo_gift, history.demo_gift, history.demo_plan,
              history.stripe_gift, history.stripe_plan]
    rng = random.Random(seed + 1)
    while len(history.events) < count:
        rng.choice(makers)(T0 + rng.randint(0, 120 * DAY) + rng.random())
    events = sorted(history.events, key=lambda e: e.occurred)
    return history.subjects, events


def deliveries(events, duplicate_share=0.3, seed=0):
    """Every event once, plus duplicate_share × len(events) extra copies, shuffled."""
    rng = random.Random(seed + 2)
    out = list(events) + [rng.choice(events) for _ in range(round(len(events) * duplicate_share))]
    rng.shuffle(out)
    return out


@dataclass
class StormResult:
    seconds: float
    deliveries: int
    attempts: int = 0
    statuses: dict = field(default_factory=dict)  # status -> count, every attempt
    bodies: dict = field(default_factory=dict)  # answer text -> count, final 2xx answers
    gave_up: list = field(default_factory=list)

    @property
    def per_second(self):
        return self.deliveries / self.seconds if self.seconds else 0.0


def run_storm(items, send, threads=8, max_attempts=8, backoff=0.05):
    """Post every item from `threads` threads. `send(conn, item)` -> (status, text) and
    `send.connect()` -> a connection per thread; any non-2xx (or a dropped connection,
    status 0) is retried with a growing pause, re-signed, as a provider would."""
    work = queue.SimpleQueue()
    for item in items:
        work.put(item)
    lock = threading.Lock()
    result = StormResult(seconds=0.0, deliveries=len(items))

    def worker():
        conn = send.connect()
        while True:
            try:
                item = work.get_nowait()
            except queue.Empty:
                break
            for attempt in range(max_attempts):
                try:
                    status, text = send(conn, item)
                except OSError:
                    status, text = 0, "connection error"
                    conn = send.connect()
                with lock:
                    result.attempts += 1
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                if 200 <= status < 300:
                    with lock:
                        result.bodies[text] = result.bodies.get(text, 0) + 1
                    break
                time.sleep(min(backoff * 2 ** attempt, 1.0))
            else:
                with lock:
                    result.gave_up.append((item.id, status, text))

    began = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    result.seconds = time.perf_counter() - began
    return result


class HttpSender:
    """`send` for run_storm over http.client; `factory()` makes a fresh connection."""

    def __init__(self, factory, host_header=None, secrets=None):
        self.factory, self.host_header, self.secrets = factory, host_header, secrets

    def connect(self):
        return self.factory()

    def __call__(self, conn, event):
        headers = signed_headers(event, self.secrets)
        if self.host_header:
            headers["Host"] = self.host_header
        conn.request("POST", f"/support/webhooks/{event.provider}/", body=event.body,
                     headers=headers)
        response = conn.getresponse()
        text = response.read().decode(errors="replace")
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
        return response.status, text


# With Django ---------------------------------------------------------------------------

def seed_subjects(subjects):
    """The pending gifts and plans the events are about, as checkout starts left them."""
    from samizdat.support.models import Contribution, Pledge, Supporter

    for s in subjects:
        supporter = Supporter.objects.create(email=s.email) if s.email else None
        common = {"reference": s.reference, "provider": s.provider, "supporter": supporter,
                  "amount_minor": s.amount_minor, "currency": s.currency, "language": "en"}
        if s.kind == "contribution":
            Contribution.objects.create(**common)
        else:
            Pledge.objects.create(frequency=s.frequency, **common)


def ledger_dump(subjects, ns):
    """Everything money state consists of, for these subjects, with no ids, times of
    receipt or namespace: equal dumps mean equal ledgers and states."""
    from samizdat.support.models import Contribution, LedgerEntry, Pledge, ProviderEvent

    token = f"_{ns}_"
    keys = {s.reference: s.key for s in subjects}

    def clean(value):
        return value.replace(token, "_") if isinstance(value, str) else value

    def when(value):
        return value.isoformat() if value else None

    def email(subject):
        return subject.supporter.email if subject.supporter_id else ""

    gifts = {keys[c.reference]: {
        "status": c.status, "amount_minor": c.amount_minor, "currency": c.currency,
        "paid_at": when(c.paid_at), "payment_ref": clean(c.payment_ref),
        "customer_ref": clean(c.customer_ref), "email": email(c),
    } for c in Contribution.objects.filter(reference__in=keys).select_related("supporter")}
    plans = {keys[p.reference]: {
        "status": p.status, "amount_minor": p.amount_minor, "currency": p.currency,
        "frequency": p.frequency, "activated_at": when(p.activated_at),
        "canceled_at": when(p.canceled_at), "subscription_ref": clean(p.subscription_ref),
        "customer_ref": clean(p.customer_ref), "email": email(p),
    } for p in Pledge.objects.filter(reference__in=keys).select_related("supporter")}
    entries = LedgerEntry.objects.filter(
        contribution__reference__in=keys) | LedgerEntry.objects.filter(pledge__reference__in=keys)
    ledger = sorted(
        (keys[e.subject.reference], e.kind, e.amount_minor, e.currency, e.provider,
         clean(e.provider_ref), clean(e.source_ref), when(e.occurred_at), clean(e.event.event_id))
        for e in entries.select_related("contribution", "pledge", "event"))
    events = sorted(
        (e.provider, clean(e.event_id), e.type, e.outcome, e.applied_at is not None,
         keys.get((e.contribution or e.pledge).reference) if (e.contribution_id or e.pledge_id)
         else None)
        for e in ProviderEvent.objects.filter(event_id__contains=token)
        .select_related("contribution", "pledge"))
    return {"contributions": gifts, "pledges": plans, "ledger": ledger, "events": events}
