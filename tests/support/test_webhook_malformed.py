"""Correctly signed events that no provider sends are refused (400) and store nothing.

Regressions for what tests/fuzz/test_webhooks.py found: each of these was a 500 (and
some recorded the event first, or wrote a ledger row: a negative amount became a payment,
a string or float amount was coerced, an unknown currency was booked).
"""

import json
import time

import pytest

from samizdat.support.models import Contribution, LedgerEntry, ProviderEvent
from samizdat.support.providers import signing

from .conftest import STRIPE_WEBHOOK_SECRET, stripe_signature

pytestmark = pytest.mark.django_db


def _post_demo(client, demo, body):
    return client.post("/support/webhooks/demo/", body, content_type="application/json",
                       HTTP_SAMIZDAT_SIGNATURE=signing.sign(body, demo.secret))


def _paid(demo, contribution, **changes):
    event = demo.build_event("checkout.completed", {
        "reference": contribution.reference, "amount_minor": 2500, "currency": "USD",
        "frequency": "once", "payment_id": "pay_1"})
    data_changes = {k: v for k, v in changes.items() if k not in {"id", "type", "created",
                                                                   "created_us"}}
    event["data"].update(data_changes)
    event.update({k: v for k, v in changes.items() if k in {"id", "type", "created",
                                                            "created_us"}})
    return json.dumps(event, allow_nan=True).encode()


@pytest.mark.parametrize("changes", [
    {"amount_minor": -2500}, {"amount_minor": 2500.0}, {"amount_minor": "2500"},
    {"amount_minor": True}, {"amount_minor": 10**30}, {"amount_minor": None},
    {"currency": "XYZ"}, {"currency": ""}, {"currency": 840},
    {"reference": 7}, {"reference": ["x"]}, {"payment_id": {"id": "x"}},
    {"payment_id": "p" * 300}, {"payment_id": "pay\x00"},
    {"id": "e" * 300}, {"id": ""}, {"id": 5}, {"type": ["checkout.completed"]},
    {"created": float("inf")}, {"created": 10**20}, {"created": "today"},
    {"created_us": -(10**25)}, {"created_us": 1.5},
], ids=repr)
def test_a_signed_event_with_a_broken_field_is_refused(client, demo, make_contribution,
                                                       changes):
    contribution = make_contribution()
    response = _post_demo(client, demo, _paid(demo, contribution, **changes))
    assert response.status_code == 400, response.content
    assert not ProviderEvent.objects.exists() and not LedgerEntry.objects.exists()
    assert Contribution.objects.get().status == "pending"


@pytest.mark.parametrize("body", [
    b"null", b"[]", b'"event"', b'{"id": NaN}', b"[" * 3000 + b"]" * 3000,
    b'{"id": "e", "type": "checkout.completed", "created": 1, "data": {"a": "\\ud800"}}',
    json.dumps({"id": "e", "type": "checkout.completed", "created": 1,
                "data": [{"reference": "x"}]}).encode(),
    json.dumps({"id": "e", "type": "checkout.completed", "created": 1,
                "data": {"n": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
                    []]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}).encode(),
], ids=lambda body: body[:30])
def test_a_signed_body_that_is_not_an_event_is_refused(client, demo, body):
    response = _post_demo(client, demo, body)
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()


def test_a_stripe_event_with_the_wrong_shape_is_refused(client, settings, make_contribution):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {"stripe": {
        "BACKEND": "samizdat.support.providers.stripe.StripeProvider",
        "OPTIONS": {"SECRET_KEY": "sk_test_x", "WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET}}}
    contribution = make_contribution(provider="stripe", payment_ref="pi_1")
    for obj in ([], "x", {"id": "ch_1", "payment_intent": "pi_1", "currency": "usd",
                          "refunds": {"data": [{"id": "re_1"}]}},
                {"id": "ch_1", "payment_intent": "pi_1", "currency": "usd",
                 "refunds": {"data": [{"id": "re_1", "amount": -100}]}}):
        body = json.dumps({"id": "evt_1", "type": "charge.refunded", "created": 1_800_000_000,
                           "data": {"object": obj}}).encode()
        response = client.post("/support/webhooks/stripe/", body,
                               content_type="application/json",
                               HTTP_STRIPE_SIGNATURE=stripe_signature(body))
        assert response.status_code == 400, (obj, response.content)
    assert not ProviderEvent.objects.exists()
    assert Contribution.objects.get(pk=contribution.pk).status == "pending"


def test_a_non_ascii_signature_header_is_refused(client, demo, make_contribution):
    body = _paid(demo, make_contribution())
    for mac in ("é", "\u00ff" * 64, ""):
        response = client.post("/support/webhooks/demo/", body,
                               content_type="application/json",
                               HTTP_SAMIZDAT_SIGNATURE=f"t={int(time.time())},v1={mac}")
        assert response.status_code == 400
    assert not ProviderEvent.objects.exists()
