"""reconcile_provider for BTCPay: the ledger against Greenfield's own list of the store's
invoices and of the refunds' payouts, page by page; what a lost webhook would have
recorded is recorded (and still reported), a differing amount only reported."""

import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from samizdat.support.models import Contribution, LedgerEntry, ReconciliationRun

from . import btcpay_fake_ops
from .btcpay_fake import STORE_ID, event
from .btcpay_fake_ops import payout_event
from .test_btcpay import URL, deliver

pytestmark = pytest.mark.django_db

btcpay = btcpay_fake_ops.btcpay  # the fixture: the stand-in with payouts, configured


def reconcile(capsys, *args):
    """(exit code, printed report) of reconcile_provider for BTCPay."""
    try:
        call_command("reconcile_provider", "--provider", "btcpay", *args)
        code = 0
    except CommandError:
        code = 1
    return code, capsys.readouterr().out


def gift_paid_at_btcpay(fake, make_contribution, btc="0.0005", created=None):
    """A €25 gift whose invoice BTCPay settled (50 000 € a coin)."""
    gift = make_contribution(provider="btcpay", amount_minor=2500, currency="EUR")
    invoice = fake.invoice_for(gift, created=created)
    fake.pay(invoice["id"], btc)
    fake.set_status(invoice["id"], "Settled")
    return gift, invoice


def test_a_settlement_whose_webhook_was_lost_is_found_recorded_once_and_reported(
    client, btcpay, make_contribution, capsys
):
    gift, invoice = gift_paid_at_btcpay(btcpay, make_contribution)
    payment_ref = f"{invoice['id']}:tx01-{invoice['id']}"

    code, out = reconcile(capsys, "--report-only")
    assert code == 1
    assert f"missing in ledger: payment {payment_ref} (invoice of {gift.reference}): €25.00" in out
    assert "recorded now" not in out
    assert not LedgerEntry.objects.exists()

    code, out = reconcile(capsys)
    assert code == 1  # it was missing: the operator should look at the webhook
    assert f"payment {payment_ref} (invoice of {gift.reference}): €25.00 (recorded now)" in out
    gift.refresh_from_db()
    assert gift.status == "paid"
    assert list(LedgerEntry.objects.values_list("provider_ref", "amount_minor")) == [
        (payment_ref, 2500)
    ]

    # The lost webhook turns up after all, and the next run finds the ledger right.
    assert deliver(client, event("InvoiceSettled", invoice)).status_code == 200
    code, out = reconcile(capsys)
    assert (code, "1 movement(s)" in out, "0 difference(s)" in out) == (0, True, True)
    assert LedgerEntry.objects.count() == 1
    assert ReconciliationRun.objects.filter(provider="btcpay").count() == 3


def test_an_amount_that_differs_is_reported_and_never_recorded(
    client, btcpay, make_contribution, capsys
):
    gift, invoice = gift_paid_at_btcpay(btcpay, make_contribution)
    assert deliver(client, event("InvoiceSettled", invoice)).status_code == 200
    # BTCPay now says the payment was worth more than the ledger holds.
    btcpay.methods[invoice["id"]][0]["payments"][0]["value"] = "0.0006"

    code, out = reconcile(capsys)
    assert code == 1
    assert "amount differs" in out and "provider €30.00, ledger €25.00" in out
    assert "recorded now" not in out
    assert list(LedgerEntry.objects.values_list("amount_minor", flat=True)) == [2500]


def test_the_listing_is_read_page_by_page_in_its_window_and_nothing_counts_twice(
    client, btcpay, make_contribution, settings, capsys
):
    settings.SAMIZDAT_PAYMENT_PROVIDERS["btcpay"]["OPTIONS"]["RECONCILE_PAGE_SIZE"] = 2
    now = int(time.time())
    gifts = [gift_paid_at_btcpay(btcpay, make_contribution, created=now - n) for n in range(3)]
    for _gift, invoice in gifts[:2]:
        assert deliver(client, event("InvoiceSettled", invoice)).status_code == 200
    unpaid = make_contribution(provider="btcpay", amount_minor=500, currency="EUR")
    btcpay.invoice_for(unpaid, created=now - 10)
    # Another sale of the store's (not this site's), and a gift from before the window.
    btcpay._create({"amount": "3.00", "currency": "EUR", "metadata": {"orderId": "shop-1"}})
    old, old_invoice = gift_paid_at_btcpay(btcpay, make_contribution, created=now - 60 * 86400)
    btcpay.shift_next_page = True  # a sale made between two pages

    code, out = reconcile(capsys, "--report-only")
    listing = [
        r
        for r in btcpay.requests
        if r["path"] == f"/api/v1/stores/{STORE_ID}/invoices" and r["method"] == "GET"
    ]
    assert [r["query"]["skip"] for r in listing] == [["0"], ["2"], ["4"], ["6"]]
    assert all(r["query"]["take"] == ["2"] for r in listing)
    start = {r["query"]["startDate"][0] for r in listing}
    end = {r["query"]["endDate"][0] for r in listing}
    assert len(start) == len(end) == 1  # one window for every page
    assert int(end.pop()) - int(start.pop()) <= 36 * 86400
    # Three payments of this site's invoices compared, the one whose webhook was lost
    # missing once; the shifted page's repeat counted once; the old gift not listed.
    assert code == 1
    assert "btcpay: 3 movement(s)" in out and "1 difference(s)" in out
    assert f"invoice of {gifts[2][0].reference}" in out
    assert old_invoice["id"] not in out
    # The sale made during the run came in above the pages already read: the next run's.
    assert "5 invoice(s) listed by BTCPay, 4 of them this site's" in out
    # Only invoices that received money were read further.
    read = {
        r["path"].split("/")[-2] for r in btcpay.requests if r["path"].endswith("/payment-methods")
    }
    assert unpaid.checkout_ref not in read and old_invoice["id"] not in read


def test_a_refund_payout_whose_webhook_was_lost_is_recorded_and_one_beyond_the_refund_is_not(
    staff_client, btcpay, make_contribution, capsys
):
    client = staff_client
    gift, invoice = gift_paid_at_btcpay(btcpay, make_contribution)
    assert deliver(client, event("InvoiceSettled", invoice)).status_code == 200
    client.post(reverse("contributions:btcpay_refund", args=[gift.pk]), {"amount": "10"})
    (pull_payment,) = btcpay.pull_payments
    paid = btcpay.payout(pull_payment, "4.00", "Completed")  # its webhook never came

    code, out = reconcile(capsys)
    assert code == 1
    assert f"payout {paid['id']} of refund {pull_payment}" in out
    assert "-€4.00 (recorded now)" in out
    assert list(gift.ledger_entries.filter(kind="refund").values_list("amount_minor")) == [(-400,)]
    # Its webhook comes after all: the same refund, not a second one.
    raw, signature = payout_event("PayoutUpdated", paid)
    assert client.post(URL, raw, content_type="application/json", HTTP_BTCPAY_SIG=signature)
    assert gift.ledger_entries.filter(kind="refund").count() == 1

    # A payout taking the refund past what staff asked is money nobody here asked to
    # send: reported, never recorded.
    beyond = btcpay.payout(pull_payment, "9.00", "Completed")
    code, out = reconcile(capsys)
    assert code == 1
    assert f"missing in ledger: payout {beyond['id']}" in out
    assert "not recorded (the receiver answered 400)" in out
    assert gift.ledger_entries.filter(kind="refund").count() == 1
    assert Contribution.objects.get(pk=gift.pk).status == "paid"


def test_the_demo_stand_in_is_compared_by_its_events_and_asks_no_server(client, settings, capsys):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        "demo_crypto": {"BACKEND": "samizdat.support.providers.btcpay_demo.DemoBTCPayProvider"}
    }
    started = client.post(
        "/support/",
        {
            "frequency": "once",
            "currency": "USD",
            "amount": "25",
            "website": "",
            "email": "",
            "method": "demo_crypto",
        },
    )
    client.post(started["Location"], {"action": "pay"})
    assert Contribution.objects.get().status == "paid"
    call_command("reconcile_provider", "--provider", "demo_crypto")
    out = capsys.readouterr().out
    assert "demo_crypto: 1 movement(s)" in out and "0 difference(s)" in out


def test_a_subscription_credit_is_left_out_with_a_note_not_reported_extra(client, btcpay, capsys):
    from .test_btcpay_subscriptions import start_plan, subscribed

    _response, pledge = start_plan(client)
    subscribed(client, btcpay, pledge)
    assert pledge.ledger_entries.filter(kind="payment").count() == 1
    code, out = reconcile(capsys)
    assert code == 0, out
    assert "1 ledger entry(ies) of a kind the provider's list does not show" in out
