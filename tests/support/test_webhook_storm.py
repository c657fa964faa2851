"""A storm of webhooks — shuffled, 30 % duplicated, concurrent — ends in the ledger the ordered,
unique history gives.

One history (tests/support/storm.py: demo and Stripe-shaped gifts and plans with
declines, renewals, failed renewals, changes, pauses, cancellations, refunds and
disputes) is built twice under two namespaces in one database: copy A is delivered
once each, in the order it happened (the reference); copy B is shuffled with 30 % extra
duplicates and delivered serially through the test client (SQLite and PostgreSQL) or by
8 threads to a live threaded server (PostgreSQL: row locks). The dumps (statuses, amounts,
every ledger entry, every event's outcome) must be equal, check_ledger clean, every event
recorded once and applied once, and one receipt queued per payment.
The 1,000-event version against gunicorn and nginx is bench/webhook_storm.py.
"""

import http.client
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django_tasks.signals import task_enqueued

from samizdat.support.management.commands.check_ledger import find_mismatches
from samizdat.support.models import LedgerEntry, ProviderEvent

from . import storm
from .conftest import DEMO_PROVIDERS

EVENTS = 150
SEED = 4


@pytest.fixture(autouse=True)
def _storm_providers(settings):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        **DEMO_PROVIDERS,
        "demo": {"BACKEND": "samizdat.support.providers.demo.DemoProvider",
                 "OPTIONS": {"SECRET": storm.DEMO_SECRET}},
        "stripe": {"BACKEND": "samizdat.support.providers.stripe.StripeProvider",
                   "OPTIONS": {"SECRET_KEY": "sk_test_storm", "API_BASE": "http://127.0.0.1:9",
                               "WEBHOOK_SECRET": storm.STRIPE_WEBHOOK_SECRET}},
    }
    # Receipts are counted as they are queued, in whatever thread queues them.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def receipts_queued():
    queued = []

    def count(sender, task_result, **kwargs):
        if task_result.task.name == "send_receipt":
            queued.append(task_result.args[0])

    task_enqueued.connect(count, weak=False, dispatch_uid="storm-receipts")
    yield queued
    task_enqueued.disconnect(dispatch_uid="storm-receipts")


def _post(client, event):
    headers = storm.signed_headers(event)
    signature = storm.SIGNATURE_HEADERS[event.provider]
    response = client.post(f"/support/webhooks/{event.provider}/", event.body,
                           content_type="application/json",
                           **{"HTTP_" + signature.upper().replace("-", "_"): headers[signature]})
    return response.status_code, response.content.decode()


def _reference(client):
    """Copy A: each event once, in the order it happened."""
    subjects, events = storm.scenario(EVENTS, seed=SEED, ns="A")
    storm.seed_subjects(subjects)
    for event in events:
        assert _post(client, event) == (200, "ok"), event.payload
    return storm.ledger_dump(subjects, "A")


def _assert_same_ledger(reference, subjects, events, receipts_queued):
    assert storm.ledger_dump(subjects, "B") == reference
    assert find_mismatches() == []
    records = ProviderEvent.objects.filter(event_id__contains="_B_")
    assert records.count() == len(events)  # every distinct event recorded once
    assert set(records.values_list("outcome", flat=True)) <= {"applied", "ignored"}
    assert not records.filter(outcome="applied", applied_at__isnull=True).exists()
    payments = LedgerEntry.objects.filter(kind="payment", event__event_id__contains="_B_")
    assert sorted(receipts_queued) == sorted(payments.values_list("pk", flat=True))
    # The history is the mix it claims to be.
    kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds == {"payment", "refund", "dispute"}
    statuses = {row["status"] for part in ("contributions", "pledges")
                for row in reference[part].values()}
    assert {"paid", "refunded", "disputed", "failed", "canceled", "active", "past_due"} <= statuses


@pytest.mark.django_db
def test_shuffled_duplicated_events_one_at_a_time_give_the_ordered_ledger(
        client, receipts_queued, django_capture_on_commit_callbacks):
    reference = _reference(client)
    receipts_queued.clear()
    subjects, events = storm.scenario(EVENTS, seed=SEED, ns="B")
    storm.seed_subjects(subjects)
    answers = []
    for event in storm.deliveries(events, 0.3, seed=SEED):
        # Each delivery commits on its own (as in production), so its receipts are queued.
        with django_capture_on_commit_callbacks(execute=True):
            answers.append(_post(client, event))
    assert {status for status, _text in answers} == {200}
    assert sorted(text for _status, text in answers).count("duplicate") == round(len(events) * 0.3)
    _assert_same_ledger(reference, subjects, events, receipts_queued)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("no_fundraising_group_hook")
def test_shuffled_duplicated_events_from_8_threads_give_the_ordered_ledger(client,
                                                                           receipts_queued):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent deliveries need PostgreSQL's row locks; SQLite serialises")
    from .conftest import _start_server

    reference = _reference(client)
    receipts_queued.clear()
    subjects, events = storm.scenario(EVENTS, seed=SEED, ns="B")
    storm.seed_subjects(subjects)
    server = _start_server(threaded=True)
    try:
        address = urlsplit(server.url)
        sender = storm.HttpSender(
            lambda: http.client.HTTPConnection(address.hostname, address.port, timeout=60))
        result = storm.run_storm(storm.deliveries(events, 0.3, seed=SEED), sender, threads=8)
    finally:
        server.stop()
    assert result.gave_up == []
    assert sum(result.bodies.values()) == len(events) + round(len(events) * 0.3)
    _assert_same_ledger(reference, subjects, events, receipts_queued)


@pytest.mark.django_db
def test_a_renewal_parked_while_its_checkout_is_applied_is_not_left_waiting(monkeypatch):
    """The lost wake-up a storm can hit: the renewal finds no plan, the plan's checkout is
    applied and sweeps the waiting events, and only then the renewal is marked waiting."""
    from samizdat.support import webhooks
    from samizdat.support.models import Pledge

    plan = storm.Subject(key="p", kind="pledge", provider="demo", reference="ST-R-p",
                         amount_minor=500, currency="USD", frequency="monthly",
                         email="r@example.org")
    storm.seed_subjects([plan])
    history = storm._History(None, "R")
    history.demo(storm.T0, "checkout.completed", {
        "reference": plan.reference, "amount_minor": 500, "currency": "USD",
        "frequency": "monthly", "subscription_id": "demo_sub_race", "invoice_id": "in_1"})
    history.demo(storm.T0 + 30 * storm.DAY, "renewal.paid", {
        "subscription_id": "demo_sub_race", "invoice_id": "in_2", "amount_minor": 500,
        "currency": "USD"})
    checkout, renewal = history.events

    class Delivery:
        def __init__(self, event):
            self.body, self.headers = event.body, storm.signed_headers(event)

    real = webhooks.resolve_subject
    raced = []

    def lookup_then_race(alias, facts):
        found = real(alias, facts)
        if found is None and not raced:
            raced.append(True)
            assert webhooks.receive("demo", Delivery(checkout)) == (200, "ok")
        return found

    monkeypatch.setattr(webhooks, "resolve_subject", lookup_then_race)
    assert webhooks.receive("demo", Delivery(renewal)) == (200, "ok")
    assert raced
    assert set(ProviderEvent.objects.values_list("outcome", flat=True)) == {"applied"}
    pledge = Pledge.objects.get(reference=plan.reference)
    assert LedgerEntry.objects.filter(pledge=pledge, kind="payment").count() == 2


@pytest.mark.django_db
def test_events_for_other_products_waiting_for_ever_do_not_starve_ours():
    """A Stripe account sends events about subscriptions that are not ours; they wait for
    ever. A renewal of ours that waits behind 250 of them is still applied."""
    from samizdat.support import webhooks
    from samizdat.support.models import Pledge

    class Delivery:
        def __init__(self, event):
            self.body, self.headers = event.body, storm.signed_headers(event)

    plan = storm.Subject(key="p", kind="pledge", provider="demo", reference="ST-W-p",
                         amount_minor=500, currency="USD", frequency="monthly",
                         email="w@example.org")
    storm.seed_subjects([plan])
    history = storm._History(None, "W")
    for n in range(250):
        history.demo(storm.T0 + n, "renewal.paid", {
            "subscription_id": f"demo_sub_elsewhere_{n}", "invoice_id": f"in_x{n}",
            "amount_minor": 900, "currency": "USD"})
    history.demo(storm.T0 + 40 * storm.DAY, "renewal.paid", {
        "subscription_id": "demo_sub_ours", "invoice_id": "in_2", "amount_minor": 500,
        "currency": "USD"})
    history.demo(storm.T0 + 10 * storm.DAY, "checkout.completed", {
        "reference": plan.reference, "amount_minor": 500, "currency": "USD",
        "frequency": "monthly", "subscription_id": "demo_sub_ours", "invoice_id": "in_1"})
    for event in history.events:
        assert webhooks.receive("demo", Delivery(event)) == (200, "ok")

    pledge = Pledge.objects.get(reference=plan.reference)
    assert LedgerEntry.objects.filter(pledge=pledge, kind="payment").count() == 2
    assert ProviderEvent.objects.filter(outcome="waiting").count() == 250
