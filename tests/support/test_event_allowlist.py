"""Only the provider fields the ledger reads are stored from a Stripe event."""

import importlib
import json
import time

import pytest
from django.apps import apps

from samizdat.support.models import LedgerEntry, ProviderEvent
from samizdat.support.providers.base import get_provider

from .test_stripe_checkout import _deliver, _event, _invoice, _session

pytestmark = pytest.mark.django_db

SECRETS = ("https://invoice.stripe.com/i/acct_1/secret", "https://pay.stripe.com/invoice/pdf",
           "DE123456789", "Moved abroad, please stop", "Ivan Petrov", "Tverskaya 1")


def _rich_invoice(reference):
    invoice = _invoice("in_1", 500, reference)
    invoice.update({
        "hosted_invoice_url": SECRETS[0], "invoice_pdf": SECRETS[1],
        "customer_tax_ids": [{"type": "eu_vat", "value": SECRETS[2]}],
        "customer_name": SECRETS[4], "customer_address": {"line1": SECRETS[5]},
        "customer": {"id": "cus_1", "object": "customer", "name": SECRETS[4]},
        "metadata": {"samizdat_reference": reference, "note": SECRETS[3]},
    })
    return invoice


def _rich_cancellation(pledge):
    return {"id": "sub_1", "object": "subscription", "status": "canceled", "customer": "cus_1",
            "metadata": {"samizdat_reference": pledge.reference},
            "cancellation_details": {"comment": SECRETS[3], "feedback": "too_expensive"}}


def _stored_text():
    return json.dumps(list(ProviderEvent.objects.values_list("payload", flat=True)))


def test_invoice_links_tax_ids_and_comments_are_not_stored(client, stripe_events, make_pledge):
    pledge = make_pledge(provider="stripe", amount_minor=500)
    t0 = int(time.time()) - 86400
    _deliver(client, _event("checkout.session.completed",
                            _session(pledge, mode="subscription"), created=t0))
    assert _deliver(client, _event("invoice.paid", _rich_invoice(pledge.reference),
                                   created=t0 + 1)).status_code == 200
    assert _deliver(client, _event("customer.subscription.deleted", _rich_cancellation(pledge),
                                   created=t0 + 2)).status_code == 200
    stored = _stored_text()
    for secret in SECRETS:
        assert secret not in stored
    pledge.refresh_from_db()
    assert pledge.status == "canceled"
    assert list(LedgerEntry.objects.values_list("amount_minor", flat=True)) == [500]


def test_what_is_stored_yields_the_same_facts_as_what_arrived(stripe_events, make_contribution):
    stripe = get_provider("stripe")
    gift = make_contribution(provider="stripe")
    session = _session(gift, customer={"id": "cus_1", "object": "customer", "email": "a@b.c"})
    subscription = {"id": "sub_1", "object": "subscription", "status": "active",
                    "customer": "cus_1", "pause_collection": {"behavior": "void"},
                    "metadata": {"samizdat_reference": "R"},
                    "items": {"object": "list", "data": [{"id": "si_1", "price": {
                        "unit_amount": 900, "recurring": {"interval": "year"}}}]}}
    charge = {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "currency": "usd",
              "amount": 2500, "amount_refunded": 700, "billing_details": {"name": "X"},
              "refunds": {"object": "list", "data": [{"id": "re_1", "amount": 700}]}}
    dispute = {"id": "dp_1", "object": "dispute", "charge": "ch_1", "amount": 2500,
               "currency": "usd", "status": "won", "evidence": {"customer_name": "X"}}
    events = [("checkout.session.completed", session), ("invoice.paid", _rich_invoice("R")),
              ("invoice.payment_failed", _rich_invoice("R")),
              ("customer.subscription.updated", subscription),
              ("customer.subscription.deleted", _rich_cancellation(gift)),
              ("charge.refunded", charge), ("charge.dispute.created", dispute),
              ("charge.dispute.closed", dispute)]
    for event_type, obj in events:
        event = _event(event_type, obj)
        facts = stripe.facts(event_type, event)
        assert facts, event_type
        assert stripe.facts(event_type, stripe.stored_payload(event)) == facts, event_type


def test_migration_strips_events_stored_before_the_allowlist(stripe_events, make_pledge):
    pledge = make_pledge(provider="stripe")
    raw = _event("invoice.paid", _rich_invoice(pledge.reference))
    ProviderEvent.objects.create(provider="stripe", event_id=raw["id"], type=raw["type"],
                                 payload=raw, occurred_at=pledge.created_at)
    ProviderEvent.objects.create(provider="gone", event_id="x", type="t",
                                 payload={"kept": SECRETS[0]}, occurred_at=pledge.created_at)
    migration = importlib.import_module("samizdat.support.migrations.0007_payment_checks")
    migration.keep_allowlisted_fields(apps, None)
    stored = ProviderEvent.objects.get(provider="stripe").payload
    assert stored["data"]["object"]["id"] == "in_1"
    assert not any(secret in json.dumps(stored) for secret in SECRETS)
    # An alias no longer configured is left alone rather than guessed at.
    assert ProviderEvent.objects.get(provider="gone").payload == {"kept": SECRETS[0]}
