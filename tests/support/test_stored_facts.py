"""What an event means is read once, when it is recorded, and kept with it: later states
come from those stored facts, not from re-reading payloads with whatever the provider's
code does today; an event whose facts cannot be read is listed, never taken for nothing."""

import importlib
import json
import time

import pytest
from django.apps import apps
from django.core.management import call_command

from samizdat.support.facts import PLAN_STATUSES, load_facts
from samizdat.support.ledger import refresh_state
from samizdat.support.models import LedgerEntry, Pledge, ProviderEvent
from samizdat.support.providers.stripe import StripeProvider

from .conftest import STRIPE_WEBHOOK_SECRET, stripe_signature

pytestmark = pytest.mark.django_db

STRIPE_URL = "/support/webhooks/stripe/"


def _stripe_event(event_type, obj, created):
    return {"id": f"evt_{event_type}_{created}", "object": "event", "created": created,
            "type": event_type, "data": {"object": obj}}


def _deliver_stripe(client, event):
    body = json.dumps(event).encode()
    return client.post(STRIPE_URL, body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=stripe_signature(body, STRIPE_WEBHOOK_SECRET))


def _subscription(pledge, status, **extra):
    return {"id": "sub_1", "object": "subscription", "status": status, "customer": "cus_1",
            "metadata": {"samizdat_reference": pledge.reference}, **extra}


def _paid_session(subject):
    return {"id": "cs_1", "object": "checkout.session", "mode": "payment",
            "client_reference_id": subject.reference, "amount_total": subject.amount_minor,
            "currency": subject.currency.lower(), "payment_status": "paid",
            "payment_intent": "pi_1", "customer": "cus_1",
            "customer_details": {"email": "payer@example.org"}}


def test_a_recorded_event_keeps_its_facts_in_neutral_words(client, stripe_events, make_pledge):
    pledge = make_pledge(provider="stripe")
    created = int(time.time())
    event = _stripe_event("customer.subscription.updated", _subscription(pledge, "trialing"),
                          created)
    assert _deliver_stripe(client, event).status_code == 200
    stored = ProviderEvent.objects.get().facts
    assert stored["version"] == 1
    [fact] = load_facts(stored)
    # Stripe's "trialing" is a plan that runs: the stored fact says so in the plan's word.
    assert (fact.kind, fact.status) == ("status", "active")
    pledge.refresh_from_db()
    assert pledge.status == "active"


def test_stripe_states_map_to_the_states_a_plan_has():
    stripe = StripeProvider("stripe")
    for stripe_status, ours in [("trialing", "active"), ("unpaid", "past_due"),
                                ("incomplete_expired", "canceled"), ("incomplete", "pending"),
                                ("something_new", "")]:
        [fact] = stripe.facts("customer.subscription.updated", {"data": {"object": {
            "id": "sub_1", "status": stripe_status}}})
        assert fact.status == ours, stripe_status
        assert fact.status in (*PLAN_STATUSES, "")
    assert set(PLAN_STATUSES) == set(Pledge.Status.values)


def test_the_payers_address_is_not_stored_with_the_facts(client, stripe_events,
                                                         make_contribution):
    gift = make_contribution(provider="stripe")
    event = _stripe_event("checkout.session.completed", _paid_session(gift), int(time.time()))
    assert _deliver_stripe(client, event).status_code == 200
    record = ProviderEvent.objects.get()
    assert "payer@example.org" not in json.dumps(record.facts)
    assert "email" not in json.dumps(record.facts)
    gift.refresh_from_db()
    # Read from the sealed payload instead, when the money arrived.
    assert gift.status == "paid" and gift.email == "payer@example.org"


def test_state_comes_from_stored_facts_not_from_todays_parser(client, stripe_events,
                                                              make_pledge, monkeypatch):
    pledge = make_pledge(provider="stripe")
    now = int(time.time())
    _deliver_stripe(client, _stripe_event("customer.subscription.updated",
                                          _subscription(pledge, "active"), now - 10))
    _deliver_stripe(client, _stripe_event("customer.subscription.deleted",
                                          _subscription(pledge, "canceled"), now))
    pledge.refresh_from_db()
    assert pledge.status == "canceled"

    def broken(self, event_type, payload):
        raise AssertionError("a stored event was parsed again")

    monkeypatch.setattr(StripeProvider, "facts", broken)
    refresh_state(pledge)
    pledge.refresh_from_db()
    assert pledge.status == "canceled"


def test_unreadable_facts_are_listed_by_check_ledger(make_contribution, capsys):
    gift = make_contribution()
    ProviderEvent.objects.create(
        provider="demo", event_id="evt_broken", type="checkout.completed", payload={},
        facts={"version": 1, "error": "an amount is not an integer"},
        occurred_at=gift.created_at, applied_at=gift.created_at, outcome="applied",
        contribution=gift)
    call_command("check_ledger")
    err = capsys.readouterr().err
    assert "demo:evt_broken" in err and "an amount is not an integer" in err


def _migration():
    return importlib.import_module("samizdat.support.migrations.0009_event_facts")


def test_migration_fills_the_facts_of_events_stored_before(demo, make_contribution):
    gift = make_contribution()
    event = demo.build_event("checkout.completed", {
        "reference": gift.reference, "amount_minor": 2500, "currency": "USD",
        "frequency": "once", "payment_id": "demo_pay_1"})
    ProviderEvent.objects.create(provider="demo", event_id=event["id"], type=event["type"],
                                 payload=event, occurred_at=gift.created_at)
    ProviderEvent.objects.create(provider="gone", event_id="evt_gone", type="x", payload={},
                                 occurred_at=gift.created_at)
    ProviderEvent.objects.create(
        provider="demo", event_id="evt_bad", type="checkout.completed",
        payload={"data": {"frequency": "once", "amount_minor": "12", "currency": "USD"}},
        occurred_at=gift.created_at)
    _migration().normalise_stored_events(apps, None)
    [paid] = load_facts(ProviderEvent.objects.get(event_id=event["id"]).facts)
    assert (paid.kind, paid.amount_minor, paid.reference) == ("payment", 2500, gift.reference)
    assert ProviderEvent.objects.get(event_id="evt_gone").facts["error"] == (
        "provider 'gone' is not configured")
    assert ProviderEvent.objects.get(event_id="evt_bad").facts["error"] == (
        "an amount is not an integer")
    assert not LedgerEntry.objects.exists()  # filling facts moves no money
