"""Staff refund a BTCPay gift from the admin; the ledger records it once BTCPay has paid it."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from samizdat.support.models import Contribution

from . import test_btcpay
from .btcpay_fake import STORE_ID, event
from .test_btcpay import deliver, started_gift

pytestmark = pytest.mark.django_db

btcpay = test_btcpay.btcpay  # the fixture: BTCPay's stand-in, configured


def paid_gift(client, fake):
    gift, invoice = started_gift(client, fake)
    fake.pay(invoice["id"], "0.0005")  # €25
    fake.set_status(invoice["id"], "Settled")
    deliver(client, event("InvoiceSettled", invoice, overPaid=False))
    gift.refresh_from_db()
    assert gift.status == "paid"
    return gift, invoice


def test_staff_refund_is_asked_of_btcpay_and_recorded_only_when_paid(
    client,
    btcpay,
    staff_client,
):
    gift, invoice = paid_gift(client, btcpay)
    listing = staff_client.get(reverse("contributions:index")).content.decode()
    url = reverse("contributions:btcpay_refund", args=[gift.pk])
    assert url in listing

    page = staff_client.post(url, {"amount": "10"})
    assert page.status_code == 200
    (asked,) = [r for r in btcpay.requests if r["path"].endswith("/refund")]
    assert asked["path"] == f"/api/v1/stores/{STORE_ID}/invoices/{invoice['id']}/refund"
    assert asked["body"]["refundVariant"] == "Custom"
    assert (asked["body"]["customAmount"], asked["body"]["customCurrency"]) == ("10.00", "EUR")
    (pull_payment_id,) = btcpay.pull_payments
    assert btcpay.pull_payments[pull_payment_id]["viewLink"] in page.content.decode()
    assert list(gift.ledger_entries.values_list("kind", flat=True)) == ["payment"]

    # The payer claimed it; BTCPay has not paid it yet: nothing is recorded.
    btcpay.payout(pull_payment_id, "10.00", "AwaitingPayment")
    call_command("send_btcpay_reminders")
    assert gift.ledger_entries.filter(kind="refund").count() == 0

    btcpay.pull_payments[pull_payment_id]["payouts"][0]["state"] = "Completed"
    call_command("send_btcpay_reminders")
    call_command("send_btcpay_reminders")  # once only
    refunds = list(
        gift.ledger_entries.filter(kind="refund").values_list("amount_minor", "currency")
    )
    assert refunds == [(-1000, "EUR")]
    gift.refresh_from_db()
    assert gift.status == "paid"  # partly refunded

    # The rest, in full this time.
    staff_client.post(url, {"amount": ""})
    second = [p for p in btcpay.pull_payments if p != pull_payment_id][0]
    last = [r for r in btcpay.requests if r["path"].endswith("/refund")][-1]
    assert last["body"] == {"refundVariant": "Fiat", "name": f"Refund {invoice['id']}"}
    btcpay.payout(second, "15.00", "Completed")
    call_command("send_btcpay_reminders")
    gift.refresh_from_db()
    assert gift.status == "refunded"


def test_refund_form_refuses_more_than_the_gift_and_asks_nothing(
    client,
    btcpay,
    staff_client,
):
    gift, _invoice = paid_gift(client, btcpay)
    url = reverse("contributions:btcpay_refund", args=[gift.pk])
    page = staff_client.post(url, {"amount": "30"})
    assert "At most the amount of the gift" in page.content.decode()
    assert not [r for r in btcpay.requests if r["path"].endswith("/refund")]


def test_a_pending_gift_has_no_refund(client, btcpay, staff_client):
    gift, _invoice = started_gift(client, btcpay)
    url = reverse("contributions:btcpay_refund", args=[gift.pk])
    assert staff_client.get(url).status_code == 302
    assert Contribution.objects.get().status == "pending"
