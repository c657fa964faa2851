"""A BTCPay refund enters the ledger when BTCPay's payout webhooks say it was paid.

Staff ask from the admin (a pull payment); the payer claims it (a payout); BTCPay
sends PayoutCreated, PayoutApproved and PayoutUpdated, signed as it signs every
webhook. Only a completed payout of a pull payment this site asked for is recorded,
once, whatever the order or the redeliveries; a cancelled one records nothing and
the admin says so.
"""

import pytest
from django.urls import reverse

from samizdat.support.models import LedgerEntry, ProviderEvent

from . import btcpay_fake_ops
from .btcpay_fake import event
from .btcpay_fake_ops import payout_event
from .test_btcpay import URL, deliver, started_gift

pytestmark = pytest.mark.django_db

btcpay = btcpay_fake_ops.btcpay  # the fixture: the stand-in with payouts, configured


def send(client, raw_and_signature):
    raw, signature = raw_and_signature
    return client.post(URL, raw, content_type="application/json", HTTP_BTCPAY_SIG=signature)


def refunds(gift):
    return list(gift.ledger_entries.filter(kind="refund").values_list("amount_minor", "currency"))


def refunded_gift(client, fake, amount="10"):
    """A paid €25 gift, a refund of `amount` asked by staff; (gift, pull payment id)."""
    gift, invoice = started_gift(client, fake)
    fake.pay(invoice["id"], "0.0005")
    fake.set_status(invoice["id"], "Settled")
    deliver(client, event("InvoiceSettled", invoice, overPaid=False))
    asked = client.post(reverse("contributions:btcpay_refund", args=[gift.pk]), {"amount": amount})
    assert asked.status_code == 200
    (pull_payment,) = fake.pull_payments
    return gift, pull_payment


def refund_page(client, gift):
    return client.get(reverse("contributions:btcpay_refund", args=[gift.pk])).content.decode()


def test_a_completed_payout_is_recorded_once_through_every_event_and_redelivery(
    staff_client, btcpay
):
    client = staff_client
    gift, pull_payment = refunded_gift(client, btcpay)
    payout = btcpay.payout(pull_payment, "10.00", "AwaitingApproval")

    assert send(client, payout_event("PayoutCreated", payout)).status_code == 200
    payout["state"] = "AwaitingPayment"
    assert send(client, payout_event("PayoutApproved", payout)).status_code == 200
    payout["state"] = "InProgress"
    assert send(client, payout_event("PayoutUpdated", payout)).status_code == 200
    assert refunds(gift) == []  # asked, approved, being sent: no money has left yet

    payout["state"] = "Completed"
    first = payout_event("PayoutUpdated", payout, delivery_id="DlvDone")
    assert send(client, first).status_code == 200
    assert refunds(gift) == [(-1000, "EUR")]

    # BTCPay redelivers it (a new delivery id, the first one's as originalDeliveryId)…
    again = send(client, payout_event("PayoutUpdated", payout, "DlvDone2", original="DlvDone"))
    assert (again.status_code, again.content) == (200, b"duplicate")
    # …and sends another update of the same payout: still one refund.
    assert send(client, payout_event("PayoutUpdated", payout)).status_code == 200
    assert refunds(gift) == [(-1000, "EUR")]
    gift.refresh_from_db()
    assert gift.status == "paid"  # partly refunded

    # Each of the six payout events read the pull payment's payouts back, cancelled ones
    # included (the admin's own check when the refund was asked reads them too).
    reads = [r for r in btcpay.requests if r["path"].endswith("/payouts")]
    assert {r["path"] for r in reads} == {f"/api/v1/pull-payments/{pull_payment}/payouts"}
    assert [r["query"] for r in reads].count({"includeCancelled": ["true"]}) == 6
    page = refund_page(client, gift)
    assert f'data-payout="{payout["id"]}" data-state="Completed"' in page
    assert "recorded in the ledger" in page


def test_a_cancelled_payout_records_nothing_and_the_admin_shows_it(staff_client, btcpay):
    client = staff_client
    gift, pull_payment = refunded_gift(client, btcpay)
    payout = btcpay.payout(pull_payment, "10.00", "AwaitingApproval")
    assert send(client, payout_event("PayoutCreated", payout)).status_code == 200
    payout["state"] = "Cancelled"
    assert send(client, payout_event("PayoutUpdated", payout)).status_code == 200

    assert refunds(gift) == []
    gift.refresh_from_db()
    assert gift.status == "paid"
    page = refund_page(client, gift)
    assert f'data-payout="{payout["id"]}" data-state="Cancelled"' in page
    assert "cancelled in BTCPay Server: nothing was paid or recorded" in page
    assert "recorded in the ledger" not in page


def test_events_out_of_order_give_the_same_ledger_and_a_full_refund_ends_refunded(
    staff_client, btcpay
):
    client = staff_client
    gift, pull_payment = refunded_gift(client, btcpay, amount="")  # the whole gift
    payout = btcpay.payout(pull_payment, "25.00", "Completed")
    # The last event first; then the first two, late (their bodies say the old state;
    # BTCPay's answer when they arrive says Completed).
    assert send(client, payout_event("PayoutUpdated", payout)).status_code == 200
    late = payout_event("PayoutCreated", payout, state="AwaitingApproval")
    assert send(client, late).status_code == 200
    late = payout_event("PayoutApproved", payout, state="AwaitingPayment")
    assert send(client, late).status_code == 200

    assert refunds(gift) == [(-2500, "EUR")]
    gift.refresh_from_db()
    assert gift.status == "refunded"
    # Refunded in full, the gift keeps a link to its refunds, and a late event never
    # takes the payout's state back.
    listing = client.get(reverse("contributions:index")).content.decode()
    assert reverse("contributions:btcpay_refund", args=[gift.pk]) in listing
    page = refund_page(client, gift)
    assert f'data-payout="{payout["id"]}" data-state="Completed"' in page
    assert "Ask BTCPay Server for the refund" not in page  # nothing left to refund


def test_a_bad_signature_is_refused_and_asks_btcpay_nothing(staff_client, btcpay):
    client = staff_client
    gift, pull_payment = refunded_gift(client, btcpay)
    payout = btcpay.payout(pull_payment, "10.00", "Completed")
    before = len(btcpay.requests)
    raw, signature = payout_event("PayoutUpdated", payout)
    forged = send(client, (raw, "sha256=" + "0" * 64))
    tampered = send(client, (raw.replace(b"Completed", b"Completed "), signature))
    unsigned = client.post(URL, raw, content_type="application/json")
    assert [forged.status_code, tampered.status_code, unsigned.status_code] == [400, 400, 400]
    assert len(btcpay.requests) == before
    assert not ProviderEvent.objects.filter(type="PayoutUpdated").exists()
    assert refunds(gift) == []


def test_a_payout_of_a_pull_payment_not_ours_is_ignored_without_a_call(staff_client, btcpay):
    client = staff_client
    gift, _ours = refunded_gift(client, btcpay)
    stranger = {"id": "PO-other", "pullPaymentId": "PP-not-ours", "state": "Completed"}
    before = len(btcpay.requests)
    assert send(client, payout_event("PayoutUpdated", stranger)).status_code == 200
    assert len(btcpay.requests) == before
    assert ProviderEvent.objects.get(type="PayoutUpdated").outcome == "ignored"
    assert not LedgerEntry.objects.filter(kind="refund").exists()


def test_a_payout_beyond_the_refund_asked_is_refused_and_recorded_nowhere(staff_client, btcpay):
    client = staff_client
    gift, pull_payment = refunded_gift(client, btcpay)  # €10 asked
    payout = btcpay.payout(pull_payment, "30.00", "Completed")
    answer = send(client, payout_event("PayoutUpdated", payout))
    assert answer.status_code == 400
    assert b"more than the refund asked" in answer.content
    foreign = btcpay.payout(pull_payment, "5.00", "Completed")
    foreign["originalCurrency"] = "USD"
    payout["state"] = "Cancelled"  # so only the currency is wrong now
    answer = send(client, payout_event("PayoutUpdated", foreign))
    assert (answer.status_code, b"currency" in answer.content) == (400, True)
    assert refunds(gift) == []
