"""Property: any order of deliveries, with duplicates, ends in the same state and ledger
as the events delivered once each in the right order."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from samizdat.support.models import Contribution, LedgerEntry, Pledge, Supporter
from samizdat.support.webhooks import receive

pytestmark = pytest.mark.django_db

T0 = 1_790_000_000
DAY = 86400


class Delivery:
    def __init__(self, body, headers):
        self.body, self.headers = body, headers


def _event(event_id, event_type, created, base=None, **data):
    return {"id": event_id, "type": event_type, "created": created,
            "created_us": created * 1_000_000, "data": {**(base or {}), **data}}


PLEDGE = {"reference": "PLDG-0000-0001", "amount_minor": 500, "currency": "USD",
          "frequency": "monthly"}
GIFT = {"reference": "GIFT-0000-0001", "amount_minor": 2500, "currency": "USD",
        "frequency": "once"}
OTHER = {"reference": "GIFT-0000-0002", "amount_minor": 1000, "currency": "EUR",
         "frequency": "once"}
SUB = {"subscription_id": "demo_sub_1", "currency": "USD"}

EVENTS = [
    _event("e01", "checkout.completed", T0, PLEDGE, subscription_id="demo_sub_1",
           invoice_id="in_1"),
    _event("e02", "renewal.paid", T0 + 30 * DAY, SUB, invoice_id="in_2", amount_minor=500),
    _event("e03", "renewal.failed", T0 + 60 * DAY, SUB),
    _event("e04", "renewal.paid", T0 + 62 * DAY, SUB, invoice_id="in_3", amount_minor=500),
    _event("e05", "plan.changed", T0 + 70 * DAY, SUB, amount_minor=1000, frequency="annual"),
    _event("e06", "renewal.failed", T0 + 435 * DAY, SUB),
    _event("e07", "plan.canceled", T0 + 440 * DAY, SUB),
    _event("e08", "checkout.completed", T0 + 1, GIFT, payment_id="pay_1"),
    _event("e09", "payment.refunded", T0 + 5 * DAY, GIFT, payment_id="pay_1",
           refund_id="re_1", amount_minor=1000),
    _event("e10", "payment.refunded", T0 + 6 * DAY, GIFT, payment_id="pay_1",
           refund_id="re_2", amount_minor=1500),
    _event("e11", "checkout.declined", T0 + 2, OTHER),
    _event("e12", "checkout.completed", T0 + 3, OTHER, payment_id="pay_2"),
]


def _snapshot():
    subjects = sorted(
        [(c.reference, c.status, c.amount_minor, "once") for c in Contribution.objects.all()]
        + [(p.reference, p.status, p.amount_minor, p.frequency) for p in Pledge.objects.all()]
    )
    ledger = sorted(
        (e.subject.reference, e.kind, e.amount_minor, e.currency, e.provider_ref)
         for e in LedgerEntry.objects.select_related("contribution", "pledge")
    )
    return subjects, ledger


def _run(demo, sequence):
    """Deliver the sequence inside a transaction that is rolled back; return the end state."""
    with transaction.atomic():
        supporter = Supporter.objects.create(email="r@example.org")
        Pledge.objects.create(provider="demo", reference=PLEDGE["reference"], amount_minor=500,
                              currency="USD", frequency="monthly", supporter=supporter)
        for data in (GIFT, OTHER):
            Contribution.objects.create(provider="demo", reference=data["reference"],
                                        amount_minor=data["amount_minor"],
                                        currency=data["currency"])
        for event in sequence:
            status, _text = receive("demo", Delivery(*demo.signed(event)))
            assert status == 200
        state = _snapshot()
        transaction.set_rollback(True)
    return state


def test_events_in_order_give_the_expected_end_state(demo):
    subjects, ledger = _run(demo, EVENTS)
    assert subjects == [
        ("GIFT-0000-0001", "refunded", 2500, "once"),
        ("GIFT-0000-0002", "paid", 1000, "once"),
        ("PLDG-0000-0001", "canceled", 1000, "annual"),
    ]
    assert [row[1:3] for row in ledger if row[0] == "PLDG-0000-0001"] == [("payment", 500)] * 3


_EXPECTED = {}


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(order=st.permutations(EVENTS), duplicates=st.lists(st.sampled_from(EVENTS), max_size=6),
       data=st.data())
def test_shuffled_and_duplicated_events_end_in_the_same_state(demo, order, duplicates, data):
    if "in_order" not in _EXPECTED:
        _EXPECTED["in_order"] = _run(demo, EVENTS)
    expected = _EXPECTED["in_order"]
    sequence = list(order)
    for event in duplicates:
        sequence.insert(data.draw(st.integers(0, len(sequence))), event)
    assert _run(demo, sequence) == expected
