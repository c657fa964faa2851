"""The demo provider end to end: page → checkout → signed webhook → ledger."""

import pytest

from samizdat.support import events
from samizdat.support.models import Contribution, LedgerEntry, Pledge, ProviderEvent

pytestmark = pytest.mark.django_db


def _start(client, **data):
    base = {"frequency": "once", "currency": "USD", "amount": "25", "email": "",
            "method": "demo", "website": ""}
    base.update(data)
    response = client.post("/support/", base)
    assert response.status_code == 302
    return response["Location"]


@pytest.fixture
def received():
    """Signals sent, as (name, object) pairs."""
    seen = []
    handlers = {
        "payment_recorded": lambda entry, **kw: seen.append(("payment_recorded", entry)),
        "renewal_failed": lambda pledge, **kw: seen.append(("renewal_failed", pledge)),
        "pledge_canceled": lambda pledge, **kw: seen.append(("pledge_canceled", pledge)),
    }
    for name, handler in handlers.items():
        getattr(events, name).connect(handler, weak=False, dispatch_uid=f"test-{name}")
    yield seen
    for name in handlers:
        getattr(events, name).disconnect(dispatch_uid=f"test-{name}")


def test_one_off_demo_payment_is_recorded_by_its_signed_event(client, received,
                                                             django_capture_on_commit_callbacks):
    checkout_url = _start(client)
    assert "SIMULATION" in client.get(checkout_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(checkout_url, {"action": "pay"})
    contribution = Contribution.objects.get()
    assert response["Location"] == f"/support/thanks/{contribution.reference}/"
    assert contribution.status == "paid" and contribution.paid_at is not None
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount_minor, entry.currency) == ("payment", 2500, "USD")
    assert ProviderEvent.objects.get().type == "checkout.completed"
    assert "We have received your contribution of $25.00" in client.get(
        response["Location"]).content.decode()
    assert [name for name, _obj in received] == ["payment_recorded"]


def test_declined_card_leaves_nothing_paid_and_can_be_retried(client):
    checkout_url = _start(client)
    html = client.post(checkout_url, {"action": "decline"}).content.decode()
    assert "declined" in html
    contribution = Contribution.objects.get()
    assert contribution.status == "failed" and not LedgerEntry.objects.exists()
    client.post(checkout_url, {"action": "pay"})
    contribution.refresh_from_db()
    assert contribution.status == "paid"


def test_abandoned_checkout_returns_to_the_cancel_page_with_choices(client):
    checkout_url = _start(client, amount="50", appeal="a1")
    response = client.post(checkout_url, {"action": "abandon"})
    contribution = Contribution.objects.get()
    assert response["Location"] == f"/support/cancel/{contribution.reference}/"
    assert contribution.status == "canceled" and not LedgerEntry.objects.exists()
    html = client.get(response["Location"]).content.decode()
    assert 'value="50" checked' in html and 'name="appeal" value="a1"' in html


def test_monthly_plan_renews_fails_and_is_canceled_when_the_provider_gives_up(
        client, demo, received, django_capture_on_commit_callbacks):
    checkout_url = _start(client, frequency="monthly", amount="5", email="r@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(checkout_url, {"action": "pay"})
    pledge = Pledge.objects.get()
    assert pledge.status == "active" and pledge.subscription_ref
    with django_capture_on_commit_callbacks(execute=True):
        demo.simulate_renewal(pledge)
    assert LedgerEntry.objects.filter(pledge=pledge, kind="payment").count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        demo.simulate_renewal(pledge, fail=True)
    pledge.refresh_from_db()
    assert pledge.status == "past_due"
    with django_capture_on_commit_callbacks(execute=True):
        demo.simulate_renewal(pledge, fail=True)
        demo.simulate_renewal(pledge, fail=True)
    pledge.refresh_from_db()
    assert pledge.status == "canceled" and pledge.canceled_at is not None
    names = [name for name, _obj in received]
    assert names.count("payment_recorded") == 2
    assert names.count("renewal_failed") == 1 and names.count("pledge_canceled") == 1


def test_renewal_after_a_failure_makes_the_plan_active_again(client, demo):
    _start(client, frequency="annual", amount="50", email="r@example.org")
    pledge = Pledge.objects.get()
    demo.complete(pledge)
    pledge.refresh_from_db()
    demo.simulate_renewal(pledge, fail=True)
    pledge.refresh_from_db()
    assert pledge.status == "past_due"
    demo.simulate_renewal(pledge)
    pledge.refresh_from_db()
    assert pledge.status == "active"


def test_supporter_cancel_change_and_pause_go_through_provider_events(client, demo):
    _start(client, frequency="monthly", amount="5", email="r@example.org")
    pledge = Pledge.objects.get()
    demo.complete(pledge)
    pledge.refresh_from_db()
    demo.change_recurring(pledge, amount_minor=1000, frequency="annual")
    pledge.refresh_from_db()
    assert (pledge.amount_minor, pledge.frequency) == (1000, "annual")
    demo.pause_recurring(pledge)
    pledge.refresh_from_db()
    assert pledge.status == "paused"
    demo.pause_recurring(pledge, resume=True)
    pledge.refresh_from_db()
    assert pledge.status == "active"
    demo.cancel_recurring(pledge, reason="moving abroad")
    pledge.refresh_from_db()
    assert pledge.status == "canceled"


def test_staff_can_simulate_a_renewal_but_readers_cannot(client, staff_client, demo):
    _start(client, frequency="monthly", amount="5", email="r@example.org")
    pledge = Pledge.objects.get()
    demo.complete(pledge)
    url = f"/support/staff/demo-renewal/{pledge.reference}/"
    from django.test import Client

    assert Client().post(url, {"outcome": "fail"}).status_code == 302  # to the login page
    assert staff_client.post(url, {"outcome": "fail"}).content == b"past_due"
