"""A payment fact is compared with what was asked; disputes can be won back.

Events are shaped like Stripe's documented ones, signed with the endpoint secret and
verified by the SDK, as in test_stripe_checkout.py.
"""

import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from samizdat.support.models import LedgerEntry

from .test_stripe_checkout import _deliver, _event, _invoice, _session

pytestmark = pytest.mark.django_db


def _ledger(subject):
    return sorted(LedgerEntry.objects.filter(**{type(subject).__name__.lower(): subject})
                  .values_list("kind", "amount_minor", "currency"))


def test_one_dollar_payment_for_a_hundred_dollar_gift_is_flagged_not_paid(
        client, stripe_events, make_contribution):
    gift = make_contribution(provider="stripe", amount_minor=10000)
    response = _deliver(client, _event("checkout.session.completed",
                                       _session(gift, amount_total=100)))
    assert response.status_code == 200
    gift.refresh_from_db()
    assert gift.status == "mismatch" and gift.get_status_display() == "Amount differs"
    assert _ledger(gift) == [("payment", 100, "USD")]
    call_command("check_ledger")  # a consistent, accepted state: no CommandError


def test_payment_in_another_currency_is_recorded_as_it_arrived_and_flagged(
        client, stripe_events, make_contribution):
    gift = make_contribution(provider="stripe", amount_minor=2500, currency="USD")
    _deliver(client, _event("checkout.session.completed", _session(gift, currency="eur")))
    gift.refresh_from_db()
    assert gift.status == "mismatch"
    assert _ledger(gift) == [("payment", 2500, "EUR")]
    call_command("check_ledger")


def test_exact_payment_still_marks_the_gift_paid(client, stripe_events, make_contribution):
    gift = make_contribution(provider="stripe", amount_minor=2500)
    _deliver(client, _event("checkout.session.completed", _session(gift)))
    gift.refresh_from_db()
    assert gift.status == "paid"


def test_renewal_of_another_amount_flags_the_plan_for_staff(client, stripe_events,
                                                             make_pledge):
    pledge = make_pledge(provider="stripe", amount_minor=500)
    t0 = int(time.time()) - 40 * 86400
    _deliver(client, _event("checkout.session.completed",
                            _session(pledge, mode="subscription"), created=t0))
    _deliver(client, _event("invoice.paid", _invoice("in_1", 500, pledge.reference),
                            created=t0 + 1))
    pledge.refresh_from_db()
    assert pledge.status == "active" and not pledge.amount_mismatch
    _deliver(client, _event("invoice.paid", _invoice("in_2", 100), created=t0 + 30 * 86400))
    pledge.refresh_from_db()
    assert pledge.amount_mismatch and pledge.status == "active"
    assert _ledger(pledge) == [("payment", 100, "USD"), ("payment", 500, "USD")]
    call_command("check_ledger")


def test_staff_see_the_flag_in_the_listing_and_on_the_dashboard(
        client, staff_client, stripe_events, make_contribution):
    gift = make_contribution(provider="stripe", amount_minor=10000)
    dashboard = staff_client.get(reverse("fundraising:index"))
    assert 'data-figure="mismatch"' not in dashboard.content.decode()
    _deliver(client, _event("checkout.session.completed", _session(gift, amount_total=100)))
    listing = staff_client.get(reverse("contributions:index"))
    assert "Amount differs" in listing.content.decode()
    dashboard = staff_client.get(reverse("fundraising:index")).content.decode()
    assert 'data-figure="mismatch"' in dashboard
    assert "1 one-off gift received an amount or currency other than" in dashboard


def _dispute(status):
    return {"id": "dp_1", "object": "dispute", "charge": "ch_1", "payment_intent": "pi_1",
            "amount": 2500, "currency": "usd", "status": status}


@pytest.mark.parametrize("closed_first", [False, True])
def test_won_dispute_reinstates_the_funds(client, stripe_events, make_contribution,
                                          closed_first):
    gift = make_contribution(provider="stripe", amount_minor=2500)
    t0 = int(time.time()) - 86400
    _deliver(client, _event("checkout.session.completed", _session(gift), created=t0))
    created = _event("charge.dispute.created", _dispute("needs_response"), created=t0 + 60)
    closed = _event("charge.dispute.closed", _dispute("won"), created=t0 + 120)
    for event in ([closed, created] if closed_first else [created, closed]):
        assert _deliver(client, event).status_code == 200
    gift.refresh_from_db()
    assert gift.status == "paid"
    assert _ledger(gift) == [("dispute", -2500, "USD"), ("payment", 2500, "USD"),
                             ("reinstated", 2500, "USD")]
    call_command("check_ledger")


def test_lost_dispute_stays_taken(client, stripe_events, make_contribution):
    gift = make_contribution(provider="stripe", amount_minor=2500)
    _deliver(client, _event("checkout.session.completed", _session(gift)))
    _deliver(client, _event("charge.dispute.created", _dispute("needs_response")))
    _deliver(client, _event("charge.dispute.closed", _dispute("lost")))
    gift.refresh_from_db()
    assert gift.status == "disputed"
    assert _ledger(gift) == [("dispute", -2500, "USD"), ("payment", 2500, "USD")]


def _charge(amount_refunded, **extra):
    """A charge as charge.refunded carries it since API 2022-11-15: no refunds list."""
    return {"id": "ch_1", "object": "charge", "payment_intent": "pi_1", "currency": "usd",
            "amount": 1000, "amount_refunded": amount_refunded, "customer": "cus_1",
            "refunded": amount_refunded >= 1000, **extra}


def _refunds(gift):
    return [amount for kind, amount, _currency in _ledger(gift) if kind == "refund"]


def _refunded_gift(client, make_contribution, *totals, reverse=False):
    gift = make_contribution(provider="stripe", amount_minor=1000)
    t0 = int(time.time()) - 86400
    _deliver(client, _event("checkout.session.completed", _session(gift), created=t0))
    events = [_event("charge.refunded", _charge(total), created=t0 + 60 * (n + 1),
                     event_id=f"evt_refund_{n}") for n, total in enumerate(totals)]
    for event in reversed(events) if reverse else events:
        assert _deliver(client, event).status_code == 200
    gift.refresh_from_db()
    return gift


def test_second_partial_refund_is_recorded(client, stripe_events, make_contribution):
    gift = _refunded_gift(client, make_contribution, 300, 500)
    assert sorted(_refunds(gift)) == [-300, -200]
    assert gift.status == "paid"


def test_partial_then_full_refund_ends_refunded(client, stripe_events, make_contribution):
    gift = _refunded_gift(client, make_contribution, 300, 1000)
    assert sorted(_refunds(gift)) == [-700, -300]
    assert gift.status == "refunded"
    call_command("check_ledger")


def test_refunds_delivered_out_of_order_or_twice_total_what_stripe_refunded(
        client, stripe_events, make_contribution):
    gift = _refunded_gift(client, make_contribution, 300, 500, 1000, reverse=True)
    assert sum(_refunds(gift)) == -1000 and gift.status == "refunded"
    again = _event("charge.refunded", _charge(500), event_id="evt_refund_redelivered")
    assert _deliver(client, again).status_code == 200
    assert sum(_refunds(gift)) == -1000


def test_refunds_list_of_an_older_api_is_not_counted_twice(client, stripe_events,
                                                           make_contribution):
    listed = {"object": "list", "data": [{"id": "re_2", "amount": 200},
                                         {"id": "re_1", "amount": 300}]}
    gift = make_contribution(provider="stripe", amount_minor=1000)
    _deliver(client, _event("checkout.session.completed", _session(gift)))
    _deliver(client, _event("charge.refunded", _charge(300, refunds={
        "object": "list", "data": [{"id": "re_1", "amount": 300}]}), event_id="evt_r1"))
    _deliver(client, _event("charge.refunded", _charge(500, refunds=listed), event_id="evt_r2"))
    assert sorted(_refunds(gift)) == [-300, -200]
