"""The webhook endpoints, fuzzed: random bodies, missing, random and forged signatures,
correctly signed bodies that are not JSON, and correctly signed events with an unknown
type, missing fields, wrong types, negative or huge amounts or an unknown currency.
Every answer is a 4xx, or a 200 that records the event without applying it; never a 500,
never a ledger row, never a changed gift or plan."""

import json
import time

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.support.storm import sign

from .conftest import FUZZ, changed_tables, huge_text, table_state

pytestmark = pytest.mark.django_db

DEMO_SECRET = "fuzz-demo-secret"
STRIPE_SECRET = "whsec_fuzz"
HEADERS = {"demo": "HTTP_SAMIZDAT_SIGNATURE", "stripe": "HTTP_STRIPE_SIGNATURE"}
SECRETS = {"demo": DEMO_SECRET, "stripe": STRIPE_SECRET}


@pytest.fixture(autouse=True)
def _providers(settings):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        "demo": {"BACKEND": "samizdat.support.providers.demo.DemoProvider",
                 "OPTIONS": {"SECRET": DEMO_SECRET}},
        "stripe": {"BACKEND": "samizdat.support.providers.stripe.StripeProvider",
                   "OPTIONS": {"SECRET_KEY": "sk_test_fuzz", "API_BASE": "http://127.0.0.1:9",
                               "WEBHOOK_SECRET": STRIPE_SECRET}},
        "bank_transfer": {
            "BACKEND": "samizdat.support.providers.bank_transfer.BankTransferProvider"},
    }


@pytest.fixture
def subjects(db):
    """A pending gift and an active plan per provider, for events to be about."""
    from samizdat.support.models import Contribution, Pledge, Supporter

    made = {}
    for provider in ("demo", "stripe"):
        made[f"{provider}_gift"] = Contribution.objects.create(
            reference=f"FZ-{provider}-G", provider=provider, amount_minor=2500, currency="USD",
            payment_ref=f"pi_{provider}_1")
        made[f"{provider}_plan"] = Pledge.objects.create(
            reference=f"FZ-{provider}-P", provider=provider, amount_minor=500, currency="EUR",
            frequency="monthly", status="pending", subscription_ref=f"sub_{provider}_1",
            customer_ref=f"cus_{provider}_1",
            supporter=Supporter.objects.create(email=f"{provider}@example.org"))
    return made


def post(client, alias, body, signature=None):
    extra = {} if signature is None else {HEADERS.get(alias, "HTTP_STRIPE_SIGNATURE"): signature}
    return client.generic("POST", f"/support/webhooks/{alias}/", body,
                          content_type="application/json", **extra)


def signed(client, alias, body):
    return post(client, alias, body, sign(body, SECRETS[alias]))


def assert_nothing_applied(before, response):
    """4xx with nothing stored; or 200 with, at most, the event recorded and not applied."""
    from samizdat.support.models import ProviderEvent

    after = table_state()
    if response.status_code == 200:
        assert response.content in {b"ignored", b"ok", b"duplicate"}, response.content
        assert set(changed_tables(before, after)) <= {"support.ProviderEvent"}
        assert not ProviderEvent.objects.filter(outcome="applied").exists()  # none ever
    else:
        assert 400 <= response.status_code < 500, response.status_code
        assert changed_tables(before, after) == []


TEXT = st.one_of(st.text(max_size=60), huge_text())


@FUZZ
@given(alias=st.sampled_from(["demo", "stripe", "bank_transfer", "paypal", "DEMO"]),
       body=st.one_of(st.binary(max_size=3000), TEXT.map(lambda t: t.encode("utf-8", "replace"))),
       signature=st.one_of(
           st.none(), TEXT, st.just("t=1,v1=00"),
           st.builds(lambda t, mac: f"t={t},v1={mac}", st.integers(-10**20, 10**20),
                     st.text(alphabet="0123456789abcdef", max_size=64)),
           # A fresh timestamp, so the MAC itself is compared: hex, or anything at all.
           st.builds(lambda mac: f"t={int(time.time())},v1={mac}",
                     st.one_of(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
                               st.text(max_size=70))),
           st.text(alphabet=st.characters(min_codepoint=128, max_codepoint=255), max_size=80)))
def test_unsigned_and_forged_deliveries_are_refused(client, subjects, alias, body, signature):
    before = table_state()
    response = post(client, alias, body, signature)
    assert response.status_code in {400, 404}, response.status_code
    assert changed_tables(before, table_state()) == []


@FUZZ
@given(alias=st.sampled_from(["demo", "stripe"]),
       body=st.one_of(
           st.binary(max_size=2000),
           st.sampled_from([b"", b"null", b"[]", b"1e999", b'"x"', b"{", b'{"id": NaN}',
                            b'{"id": "e", "type": "checkout.completed", "created": Infinity}',
                            b"[" * 5000 + b"]" * 5000, b'{"a": "\\ud800"}', b"\xff\xfe{}"]),
           st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                        lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                        max_leaves=20).map(lambda v: json.dumps(v).encode())))
def test_signed_bodies_that_are_not_events_are_refused(client, subjects, alias, body):
    before = table_state()
    response = signed(client, alias, body)
    assert_nothing_applied(before, response)


# Correctly signed events of every handled type, one field broken --------------------------

BAD_AMOUNTS = [-1, -2500, 0.5, 2500.0, 10**30, 2**63, "2500", "abc", None, True, [], {},
               float("nan")]
BAD_CURRENCIES = ["XYZ", "", "US", "usdollar", 5, None, [], "€", "E\x00R"]
BAD_STRINGS = [5, 2.5, None, [], {"id": "x"}, True, "x" * 300, "a\x00b", "\ud800"]
BAD_TIMES = [-10**20, 10**20, "yesterday", None, 1e308, [], 2.5e10]


def demo_event(subjects, event_type):
    gift, plan = subjects["demo_gift"], subjects["demo_plan"]
    if event_type in {"checkout.completed", "checkout.declined", "checkout.abandoned",
                      "payment.refunded"}:
        data = {"reference": gift.reference, "amount_minor": 2500, "currency": "USD",
                "frequency": "once", "payment_id": "pi_demo_1", "refund_id": "re_demo_1"}
    else:
        data = {"reference": plan.reference, "amount_minor": 500, "currency": "EUR",
                "frequency": "monthly", "subscription_id": plan.subscription_ref,
                "invoice_id": "in_demo_1"}
    now = time.time()
    return {"id": "evt_demo_fuzz", "type": event_type, "created": int(now),
            "created_us": int(now * 1_000_000), "data": data}


def stripe_event(subjects, event_type):
    gift, plan = subjects["stripe_gift"], subjects["stripe_plan"]
    objects = {
        "checkout.session.completed": {
            "id": "cs_1", "mode": "payment", "client_reference_id": gift.reference,
            "amount_total": 2500, "currency": "usd", "payment_status": "paid",
            "payment_intent": "pi_stripe_1", "customer": "cus_x",
            "customer_details": {"email": "payer@example.org"}},
        "invoice.paid": {
            "id": "in_1", "amount_paid": 500, "currency": "eur", "customer": "cus_stripe_1",
            "payment_intent": "pi_2", "subscription": plan.subscription_ref},
        "invoice.payment_failed": {"id": "in_2", "subscription": plan.subscription_ref},
        "customer.subscription.updated": {
            "id": plan.subscription_ref, "status": "active", "customer": "cus_stripe_1",
            "items": {"data": [{"price": {"unit_amount": 700, "recurring": {
                "interval": "month"}}}]}},
        "customer.subscription.deleted": {"id": plan.subscription_ref},
        "charge.refunded": {
            "id": "ch_1", "payment_intent": gift.payment_ref, "currency": "usd",
            "amount_refunded": 1000, "refunds": {"data": [{"id": "re_1", "amount": 1000}]}},
        "charge.dispute.created": {
            "id": "dp_1", "payment_intent": gift.payment_ref, "amount": 2500,
            "currency": "usd"},
    }
    obj = objects.get(event_type, objects["checkout.session.completed"])
    return {"id": "evt_stripe_fuzz", "object": "event", "type": event_type,
            "created": int(time.time()), "data": {"object": dict(obj)}}


DEMO_TYPES = ["checkout.completed", "checkout.declined", "checkout.abandoned", "renewal.paid",
              "renewal.failed", "plan.canceled", "plan.changed", "plan.paused",
              "payment.refunded"]
STRIPE_TYPES = ["checkout.session.completed", "invoice.paid", "invoice.payment_failed",
                "customer.subscription.updated", "customer.subscription.deleted",
                "charge.refunded", "charge.dispute.created"]


def _target(event, alias):
    """The dict whose fields an event's facts are read from."""
    return event["data"] if alias == "demo" else event["data"]["object"]


@st.composite
def broken_events(draw):
    alias = draw(st.sampled_from(["demo", "stripe"]))
    event_type = draw(st.sampled_from(DEMO_TYPES if alias == "demo" else STRIPE_TYPES))
    return alias, event_type, draw(st.lists(st.sampled_from(BREAKS), min_size=1, max_size=3,
                                            unique_by=lambda b: b.__name__)), draw(st.data())


def break_amount(event, alias, data):
    target = _target(event, alias)
    for key in ("amount_minor", "amount_total", "amount_paid", "amount_refunded", "amount"):
        if key in target:
            target[key] = data.draw(st.sampled_from(BAD_AMOUNTS), label=key)
    refunds = target.get("refunds")
    for refund in refunds.get("data", []) if isinstance(refunds, dict) else []:
        if isinstance(refund, dict):
            refund["amount"] = data.draw(st.sampled_from(BAD_AMOUNTS), label="refund amount")
    items = target.get("items")
    for item in items.get("data", []) if isinstance(items, dict) else []:
        if isinstance(item, dict) and isinstance(item.get("price"), dict):
            item["price"]["unit_amount"] = data.draw(st.sampled_from(BAD_AMOUNTS), label="unit")


def break_currency(event, alias, data):
    target = _target(event, alias)
    target["currency"] = data.draw(st.sampled_from(BAD_CURRENCIES), label="currency")


def break_reference(event, alias, data):
    target = _target(event, alias)
    for key in ("reference", "client_reference_id", "subscription_id", "subscription",
                "payment_id", "payment_intent", "invoice_id", "refund_id", "customer"):
        if key in target:
            target[key] = data.draw(st.sampled_from(BAD_STRINGS), label=key)


def break_shape(event, alias, data):
    shape = data.draw(st.sampled_from(["data", "object", "refunds", "items", "details"]))
    if shape == "data" or alias == "demo":
        event["data"] = data.draw(st.sampled_from([None, [], "x", 5, [{"reference": "x"}]]))
    elif shape == "object":
        event["data"]["object"] = data.draw(st.sampled_from([None, [], "x", 5]))
    elif shape == "refunds":
        event["data"]["object"]["refunds"] = data.draw(st.sampled_from(
            ["x", {"data": "x"}, {"data": [5]}, {"data": [{}]}]))
    elif shape == "items":
        event["data"]["object"]["items"] = data.draw(st.sampled_from(
            ["x", {"data": "x"}, {"data": [5]}, {"data": [{"price": 5}]}]))
    else:
        event["data"]["object"]["customer_details"] = data.draw(st.sampled_from(
            ["x", 5, {"email": 5}, {"email": "x" * 300}, {"email": "a\x00@b.org"}]))


def break_envelope(event, alias, data):
    key = data.draw(st.sampled_from(["id", "type", "created"]
                                    + (["created_us"] if alias == "demo" else [])))
    if key in {"created", "created_us"}:
        event[key] = data.draw(st.sampled_from(BAD_TIMES), label=key)
    elif data.draw(st.booleans(), label="drop"):
        event.pop(key, None)
    else:  # any other string is a good id; an unknown type is ignored, not stored
        extra = ["", "unknown.event"] if key == "type" else [""]
        event[key] = data.draw(st.sampled_from(BAD_STRINGS + extra), label=key)


BREAKS = [break_amount, break_currency, break_reference, break_shape, break_envelope]


def encode(event):
    return json.dumps(event, allow_nan=True).encode("utf-8", "surrogatepass")


def _meaning(alias, event):
    """What the app reads from an event (its facts), or the error reading them raises."""
    from samizdat.support.providers.base import get_provider

    try:
        return repr(get_provider(alias).facts(event.get("type"), event))
    except Exception as exc:  # noqa: BLE001 - any error means the break was noticed
        return f"error {type(exc).__name__}"


@FUZZ
@given(case=broken_events())
def test_signed_events_with_broken_fields_apply_nothing(client, subjects, case):
    alias, event_type, breaks, data = case
    event = (demo_event if alias == "demo" else stripe_event)(subjects, event_type)
    intact = json.loads(encode(event))
    for brk in breaks:
        if isinstance(event.get("data"), dict) and (
                alias == "demo" or isinstance(event["data"].get("object"), dict)):
            brk(event, alias, data)
    # A break the event's type never reads (an amount on a decline) leaves a valid event.
    envelope = any(event.get(k) != intact.get(k) for k in ("id", "type", "created",
                                                            "created_us"))
    assume(envelope or _meaning(alias, event) != _meaning(alias, intact))
    before = table_state()
    response = signed(client, alias, encode(event))
    assert_nothing_applied(before, response)


@pytest.mark.parametrize("alias,event_type", [("demo", t) for t in DEMO_TYPES]
                         + [("stripe", t) for t in STRIPE_TYPES])
def test_the_unbroken_events_apply(client, subjects, alias, event_type):
    """Control: without a broken field, each of those events is applied."""
    from samizdat.support.models import ProviderEvent

    event = (demo_event if alias == "demo" else stripe_event)(subjects, event_type)
    if event_type == "payment.refunded" or event_type.startswith("charge."):
        subject = subjects[f"{alias}_gift"]
        pay = demo_event if alias == "demo" else stripe_event
        first = pay(subjects, "checkout.completed" if alias == "demo"
                    else "checkout.session.completed")
        first["id"] = "evt_pay_first"
        assert signed(client, alias, encode(first)).content == b"ok"
        assert subject.ledger_entries.count() == 1
    response = signed(client, alias, encode(event))
    assert (response.status_code, response.content) == (200, b"ok")
    assert ProviderEvent.objects.get(event_id=event["id"]).outcome == "applied"
