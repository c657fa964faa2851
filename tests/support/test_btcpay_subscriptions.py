"""Recurring gifts as BTCPay Server subscriptions, where the server has the API.

The loopback stand-in answers the Subscriptions routes (offerings, plans, plan
checkouts, subscribers, portal sessions) in the shapes of BTCPay's pinned OpenAPI
document and checks every request against it (btcpay_fake.py); webhooks are
signed exactly as BTCPay signs them. The clock is moved with time-machine.
"""

import json
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from samizdat.support.actions.plans import capabilities
from samizdat.support.btcpay_plans import next_due, run_reminders
from samizdat.support.models import LedgerEntry, Pledge, ProviderEvent

from .btcpay_fake import STORE_ID, FakeBTCPay, event, subscriber_event
from .test_btcpay import URL, configure, deliver, method_form

pytestmark = pytest.mark.django_db

START = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def btcpay_subs(settings):
    fake = FakeBTCPay(subscriptions=True)
    configure(settings, fake.url)
    yield fake
    fake.close()
    assert fake.errors == [], "requests or answers outside BTCPay's OpenAPI documents"


def start_plan(client, email="reader@example.org"):
    fields = method_form(client, frequency="monthly", amount="5", currency="USD", email=email)
    response = client.post("/support/", fields)
    assert response.status_code == 302
    return response, Pledge.objects.get()


def subscribed(client, fake, pledge):
    """BTCPay's events once the supporter paid the plan checkout's invoice."""
    subscriber = fake.subscribe(pledge.checkout_ref)
    assert deliver(client, subscriber_event("SubscriberCreated", subscriber)).status_code == 200
    credited = subscriber_event(
        "SubscriberCredited", subscriber, amount="5.00", total="5.00", currency="USD"
    )
    assert deliver(client, credited).status_code == 200
    subscriber.update(phase="Normal", isActive=True, periodEnd=int(START.timestamp()) + 31 * 86400)
    charged = subscriber_event(
        "SubscriberCharged", subscriber, amount="5.00", total="0.00", currency="USD"
    )
    assert deliver(client, charged).status_code == 200
    started = subscriber_event("PlanStarted", subscriber, autoRenew=False)
    assert deliver(client, started).status_code == 200
    return subscriber


def payments(pledge):
    return list(
        pledge.ledger_entries.filter(kind=LedgerEntry.Kind.PAYMENT).values_list(
            "amount_minor", "currency"
        )
    )


def test_a_subscription_plan_lives_renews_lapses_and_ends_by_btcpays_events(
    client, btcpay_subs, settings
):
    fake = btcpay_subs
    with time_machine.travel(START, tick=False) as clock:
        response, pledge = start_plan(client, email="reader@example.org")
        # The reader goes to BTCPay's plan checkout, for a plan of this amount.
        (checkout,) = fake.checkouts.values()
        assert response["Location"] == checkout["url"]
        assert pledge.checkout_ref == checkout["id"] and pledge.status == "pending"
        (offering,) = fake.offerings.values()
        assert offering["metadata"] == {"samizdat": "support"}
        (plan,) = offering["plans"]
        assert (plan["price"], plan["currency"], plan["recurringType"]) == (
            "5.00",
            "USD",
            "Monthly",
        )
        assert plan["gracePeriodDays"] == 7
        posted = [r for r in fake.requests if r["path"] == "/api/v1/plan-checkout"]
        assert posted[0]["body"]["newSubscriberMetadata"] == {
            "samizdat_reference": pledge.reference
        }
        assert posted[0]["body"]["successRedirectLink"].endswith(
            f"/support/thanks/{pledge.reference}/"
        )
        # Nothing personal goes to BTCPay: its checkout asks for the address itself.
        assert "reader@example.org" not in json.dumps([r["body"] for r in fake.requests])
        assert not fake.invoices  # no invoice of ours: BTCPay makes the plan's

        subscriber = subscribed(client, fake, pledge)
        pledge.refresh_from_db()
        assert pledge.status == "active" and pledge.activated_at == START
        assert pledge.customer_ref == subscriber["customer"]["id"]
        assert payments(pledge) == [(500, "USD")]
        # What is kept of BTCPay's events: no address of the subscriber's.
        stored = json.dumps([e.payload for e in ProviderEvent.objects.all()], default=str)
        assert "reader@example.org" not in stored

        # The invoice BTCPay made for the plan is reported too: not counted twice.
        invoice = fake.checkout_invoice(pledge.checkout_ref)
        assert invoice["metadata"]["samizdat_subscription"] == pledge.reference
        fake.pay(invoice["id"], "0.0001")
        fake.set_status(invoice["id"], "Settled")
        assert deliver(client, event("InvoiceSettled", invoice, overPaid=False)).status_code == 200
        assert payments(pledge) == [(500, "USD")]

        # BTCPay keeps the periods: no reminder of ours, no next due date of ours.
        clock.move_to(datetime(2027, 2, 8, 12, 0, tzinfo=UTC))
        assert run_reminders() == {"reminded": 0, "past_due": 0, "ended": 0}
        assert mail.outbox == [] and next_due(pledge) is None
        reminder = subscriber_event("PaymentReminder", subscriber)
        assert deliver(client, reminder).status_code == 200
        pledge.refresh_from_db()
        assert pledge.status == "active"

        # The supporter pays the second period on BTCPay's portal; BTCPay renews.
        clock.move_to(datetime(2027, 2, 9, 12, 0, tzinfo=UTC))
        credited = subscriber_event(
            "SubscriberCredited", subscriber, amount="5.00", total="5.00", currency="USD"
        )
        assert deliver(client, credited).status_code == 200
        clock.move_to(datetime(2027, 2, 10, 12, 0, tzinfo=UTC))
        assert deliver(client, subscriber_event("PlanStarted", subscriber, autoRenew=True))
        pledge.refresh_from_db()
        assert pledge.status == "active" and payments(pledge) == [(500, "USD")] * 2

        # The third period is not paid: BTCPay moves it to its grace phase.
        clock.move_to(datetime(2027, 3, 10, 12, 0, tzinfo=UTC))
        subscriber["phase"] = "Grace"
        grace = subscriber_event(
            "SubscriberPhaseChanged", subscriber, previousPhase="Normal", currentPhase="Grace"
        )
        assert deliver(client, grace).status_code == 200
        pledge.refresh_from_db()
        assert pledge.status == "past_due"
        # A redelivery of the same event (BTCPay's "redeliver" button) changes nothing.
        again = {**grace, "deliveryId": "DlvAgain", "isRedelivery": True}
        assert deliver(client, again).status_code == 200
        assert ProviderEvent.objects.filter(type="SubscriberPhaseChanged").count() == 1

        # Paid late, within the grace: active again, the money recorded once.
        clock.move_to(datetime(2027, 3, 12, 12, 0, tzinfo=UTC))
        late = subscriber_event(
            "SubscriberCredited", subscriber, amount="5.00", total="5.00", currency="USD"
        )
        assert deliver(client, late).status_code == 200
        assert deliver(client, {**late, "deliveryId": "DlvLate2", "isRedelivery": True})
        subscriber["phase"] = "Normal"
        back = subscriber_event(
            "SubscriberPhaseChanged", subscriber, previousPhase="Grace", currentPhase="Normal"
        )
        assert deliver(client, back).status_code == 200
        pledge.refresh_from_db()
        assert pledge.status == "active" and payments(pledge) == [(500, "USD")] * 3

        # Then a period goes unpaid past the grace: BTCPay expires it, the plan ends.
        clock.move_to(datetime(2027, 4, 18, 12, 0, tzinfo=UTC))
        subscriber.update(phase="Grace")
        deliver(
            client,
            subscriber_event(
                "SubscriberPhaseChanged", subscriber, previousPhase="Normal", currentPhase="Grace"
            ),
        )
        pledge.refresh_from_db()
        assert pledge.status == "past_due"
        subscriber.update(phase="Expired", isActive=False)
        disabled = subscriber_event("SubscriberDisabled", subscriber, reason="Expired")
        assert deliver(client, disabled).status_code == 200
        pledge.refresh_from_db()
        assert pledge.status == "canceled" and pledge.canceled_at is not None
        assert payments(pledge) == [(500, "USD")] * 3


def test_a_forged_subscription_event_is_refused_and_changes_nothing(client, btcpay_subs):
    _response, pledge = start_plan(client)
    subscriber = btcpay_subs.subscribe(pledge.checkout_ref)
    credited = subscriber_event(
        "SubscriberCredited", subscriber, amount="500.00", total="500.00", currency="USD"
    )
    assert deliver(client, credited, secret="not-the-secret").status_code == 400
    raw = json.dumps(credited).encode()
    unsigned = client.post(URL, raw, content_type="application/json")
    assert unsigned.status_code == 400
    assert not ProviderEvent.objects.exists() and not LedgerEntry.objects.exists()
    pledge.refresh_from_db()
    assert pledge.status == "pending"


def test_another_offerings_subscriber_is_not_ours(client, btcpay_subs):
    _response, pledge = start_plan(client)
    subscriber = btcpay_subs.subscribe(pledge.checkout_ref)
    subscriber["metadata"] = {}  # sold by the store for something else
    credited = subscriber_event(
        "SubscriberCredited", subscriber, amount="5.00", total="5.00", currency="USD"
    )
    assert deliver(client, credited).status_code == 200
    assert not LedgerEntry.objects.exists()


def test_the_probe_is_asked_once_and_a_server_without_the_api_gets_reminder_plans(client, settings):
    fake = FakeBTCPay(subscriptions=False)
    configure(settings, fake.url)
    try:
        for _ in range(2):
            fields = method_form(
                client, frequency="monthly", amount="5", currency="USD", email="r@example.org"
            )
            response = client.post("/support/", fields)
            assert response.status_code == 302
        probes = [r for r in fake.requests if r["path"].endswith("/offerings")]
        assert len(probes) == 1  # the answer is remembered
        first, second = Pledge.objects.order_by("pk")
        invoice = fake.invoices[first.checkout_ref]
        assert response["Location"] == fake.invoices[second.checkout_ref]["checkoutLink"]
        assert invoice["metadata"]["samizdat_period"] == 0  # a reminder plan's first invoice
        assert not fake.checkouts
    finally:
        fake.close()
    assert fake.errors == []


def test_setting_off_never_asks_and_on_always_uses_subscriptions(client, btcpay_subs, settings):
    settings.BTCPAY_SUBSCRIPTIONS = "off"
    start_plan(client)
    assert not [r for r in btcpay_subs.requests if "offerings" in r["path"]]
    assert len(btcpay_subs.invoices) == 1 and not btcpay_subs.checkouts


def test_a_plan_btcpay_would_price_in_another_currency_stays_reminder_based(client, settings):
    fake = FakeBTCPay(subscriptions=True, store_currency="USD")
    configure(settings, fake.url)
    try:
        fields = method_form(
            client, frequency="annual", amount="50", currency="EUR", email="r@example.org"
        )
        response = client.post("/support/", fields)
        pledge = Pledge.objects.get()
        invoice = fake.invoices[pledge.checkout_ref]
        assert response["Location"] == invoice["checkoutLink"]
        assert (invoice["currency"], invoice["metadata"]["samizdat_period"]) == ("EUR", 0)
        assert not fake.checkouts
    finally:
        fake.close()
    assert fake.errors == []


def test_the_supporter_sees_pays_on_btcpay_and_cancels_a_subscription(client, btcpay_subs):
    with time_machine.travel(START, tick=False):
        _response, pledge = start_plan(client, email="reader@example.org")
        subscriber = subscribed(client, btcpay_subs, pledge)
        pledge.refresh_from_db()
        assert capabilities(pledge)["can_cancel"] is True
        client.post("/support/manage/", {"email": "reader@example.org"})
        link = re.search(r"https?://\S+(/support/manage/link/\S+/)", mail.outbox[-1].body)
        assert client.post(link.group(1)).status_code == 302
        account = client.get("/support/manage/account/").content.decode()
        assert "Pay or see your plan on BTCPay Server" in account
        assert "we e-mail you a fresh invoice" not in account  # not a reminder plan
        portal = client.post(f"/support/manage/pledges/{pledge.pk}/btcpay/")
        assert portal.status_code == 302
        assert portal["Location"].startswith(f"{btcpay_subs.url}/subscriber-portal/ps_")
        (session,) = [r for r in btcpay_subs.requests if r["path"] == "/api/v1/subscriber-portal"]
        assert session["body"]["customerSelector"] == subscriber["customer"]["id"]

        # A change of amount and frequency updates the pledge's own plan on BTCPay.
        changed = client.post(
            f"/support/manage/pledges/{pledge.pk}/",
            {"action": "change", "amount": "7", "frequency": "annual"},
        )
        assert changed.status_code == 302
        (put,) = [r for r in btcpay_subs.requests if r["method"] == "PUT"]
        assert put["path"].endswith(f"/plans/{subscriber['plan']['id']}")
        assert (put["body"]["price"], put["body"]["recurringType"]) == ("7.00", "Yearly")
        pledge.refresh_from_db()
        assert (pledge.amount_minor, pledge.frequency, pledge.status) == (700, "annual", "active")
        (plan,) = btcpay_subs.offerings[subscriber["offering"]["id"]]["plans"]
        assert (plan["price"], plan["recurringType"]) == ("7.00", "Yearly")

        cancel = client.post(f"/support/manage/pledges/{pledge.pk}/cancel/", {"reason": "Too much"})
        assert cancel.status_code == 302
        (suspend,) = [r for r in btcpay_subs.requests if r["path"].endswith("/suspend")]
        assert suspend["path"] == (
            f"/api/v1/stores/{STORE_ID}/offerings/{subscriber['offering']['id']}"
            f"/subscribers/{subscriber['customer']['id']}/suspend"
        )
        pledge.refresh_from_db()
        assert pledge.status == "canceled"
        assert btcpay_subs.subscribers[subscriber["customer"]["id"]]["isSuspended"] is True
        # BTCPay's own word follows: the plan stays ended, nothing else moves.
        disabled = subscriber_event(
            "SubscriberDisabled",
            btcpay_subs.subscribers[subscriber["customer"]["id"]],
            reason="Suspension",
            suspensionReason="Cancelled by the supporter: Too much",
        )
        assert deliver(client, disabled).status_code == 200
        pledge.refresh_from_db()
        assert pledge.status == "canceled" and payments(pledge) == [(500, "USD")]
        account = client.get("/support/manage/account/").content.decode()
        assert "Pay or see your plan on BTCPay Server" not in account


def test_btcpay_down_when_cancelling_keeps_the_plan(client, btcpay_subs):
    from samizdat.support.actions import ActionError
    from samizdat.support.actions.plans import cancel_plan

    _response, pledge = start_plan(client)
    subscribed(client, btcpay_subs, pledge)
    pledge.refresh_from_db()
    # The offering id is remembered from the checkout: the suspension is the one call.
    btcpay_subs.fault = "500"
    with pytest.raises(ActionError):
        cancel_plan(pledge)
    pledge.refresh_from_db()
    assert pledge.status == "active"


def test_a_mistyped_setting_is_refused_at_startup(settings):
    from samizdat.support.checks import check_btcpay_subscriptions

    assert check_btcpay_subscriptions() == []
    settings.BTCPAY_SUBSCRIPTIONS = "yes"
    (error,) = check_btcpay_subscriptions()
    assert error.id == "samizdat_support.E005"


def test_a_reminder_plans_amount_changes_its_next_invoices_not_its_frequency(client, settings):
    from samizdat.support.actions import ActionError
    from samizdat.support.actions.plans import change_plan

    fake = FakeBTCPay(subscriptions=False)
    configure(settings, fake.url)
    try:
        with time_machine.travel(START, tick=False) as clock:
            _response, pledge = start_plan(client)
            first = fake.invoices[pledge.checkout_ref]
            fake.pay(first["id"], "0.0001")
            fake.set_status(first["id"], "Settled")
            deliver(client, event("InvoiceSettled", first, overPaid=False))
            pledge.refresh_from_db()
            with pytest.raises(ActionError, match="frequency cannot be changed"):
                change_plan(pledge, "5", "annual")
            change_plan(pledge, "7", "monthly")
            pledge.refresh_from_db()
            assert (pledge.amount_minor, pledge.frequency, pledge.status) == (
                700,
                "monthly",
                "active",
            )
            assert not [r for r in fake.requests if r["method"] == "PUT"]
            clock.move_to(datetime(2027, 2, 8, 12, 0, tzinfo=UTC))
            assert run_reminders()["reminded"] == 1
            assert "$7.00" in mail.outbox[-1].body
            pay_path = re.search(r"https?://[^/\s]+(/support/pay/\S+/)", mail.outbox[-1].body)
            client.get(pay_path.group(1))
            (second,) = [i for i in fake.invoices.values() if i["id"] != first["id"]]
            assert (second["amount"], second["metadata"]["samizdat_period"]) == ("7.00", 1)
    finally:
        fake.close()
    assert fake.errors == []
