"""BTCPay Server: invoices over Greenfield, signed webhooks, what arrived is what is recorded.

A loopback stand-in answers in the shapes of BTCPay's OpenAPI document and checks
every request the provider sends against it (btcpay_fake.py); webhooks are signed
exactly as BTCPay signs them.
"""

import io
import json
import re
import socket

import pytest
from django.core.management import call_command

from samizdat.support.models import Contribution, LedgerEntry, ProviderEvent

from .btcpay_fake import (
    API_KEY,
    STORE_ID,
    WEBHOOK_SECRET,
    FakeBTCPay,
    event,
    sign,
    webhook_errors,
)

pytestmark = pytest.mark.django_db

URL = "/support/webhooks/btcpay/"
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def configure(settings, url, timeout=2.0):
    settings.SAMIZDAT_PROVIDER_TIMEOUT = timeout
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        "btcpay": {
            "BACKEND": "samizdat.support.providers.btcpay.BTCPayProvider",
            "OPTIONS": {
                "URL": url,
                "STORE_ID": STORE_ID,
                "API_KEY": API_KEY,
                "WEBHOOK_SECRET": WEBHOOK_SECRET,
            },
        },
    }


@pytest.fixture
def btcpay(settings):
    # A server without the Subscriptions API: plans are reminder-based
    # (test_btcpay_subscriptions.py has a server with it).
    fake = FakeBTCPay(subscriptions=False)
    configure(settings, fake.url)
    yield fake
    fake.close()
    assert fake.errors == [], "requests or answers outside BTCPay's OpenAPI document"


def method_form(client, prefix="", **choices):
    data = {
        "frequency": "once",
        "currency": "EUR",
        "amount": "25",
        "email": "",
        "appeal": "",
        "variant": "",
        "website": "",
    }
    data.update(choices)
    response = client.post(f"{prefix}/support/", data)
    assert response.status_code == 200
    return {**dict(HIDDEN.findall(response.content.decode())), "website": "", "method": "btcpay"}


def start(client, **choices):
    fields = method_form(client, **choices)
    response = client.post("/support/", fields)
    return response, fields


def deliver(client, body, secret=WEBHOOK_SECRET):
    assert webhook_errors(body) == []
    raw = json.dumps(body).encode()
    return client.post(URL, raw, content_type="application/json", HTTP_BTCPAY_SIG=sign(raw, secret))


def started_gift(client, btcpay, **choices):
    response, _fields = start(client, **choices)
    assert response.status_code == 302
    gift = Contribution.objects.get()
    return gift, btcpay.invoices[gift.checkout_ref]


def amounts(gift):
    return sorted(gift.ledger_entries.values_list("kind", "amount_minor", "currency"))


# Checkout ---------------------------------------------------------------------


def test_a_gift_is_an_invoice_in_its_currency_and_the_reader_goes_to_its_checkout(client, btcpay):
    response, _fields = start(client, email="reader@example.org")
    gift = Contribution.objects.get()
    invoice = btcpay.invoices[gift.checkout_ref]
    assert response["Location"] == invoice["checkoutLink"]
    (post,) = [r for r in btcpay.requests if r["method"] == "POST"]
    assert post["path"] == f"/api/v1/stores/{STORE_ID}/invoices"
    assert (post["body"]["amount"], post["body"]["currency"]) == ("25.00", "EUR")
    assert post["body"]["metadata"] == {
        "orderId": gift.reference,
        "samizdat_reference": gift.reference,
    }
    redirect = post["body"]["checkout"]["redirectURL"]
    assert redirect.endswith(f"/support/thanks/{gift.reference}/")
    # Nothing personal goes to BTCPay: no address, no name.
    assert "reader@example.org" not in json.dumps(post["body"])
    assert gift.status == "pending"


def test_btcpay_down_at_checkout_tells_the_reader_and_a_retry_makes_one_invoice(
    client, btcpay, settings
):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{closed.getsockname()[1]}"
    configure(settings, down)
    fields = method_form(client)
    first = client.post("/support/", fields)
    assert first.status_code == 503 and first["Retry-After"].isdigit()
    assert "could not be reached. Nothing was charged" in first.content.decode()
    gift = Contribution.objects.get()
    assert (gift.status, gift.checkout_ref) == ("pending", "")

    configure(settings, btcpay.url)
    retry = client.post("/support/", fields)
    assert retry.status_code == 302
    assert Contribution.objects.get().pk == gift.pk
    assert len(btcpay.invoices) == 1


def test_btcpay_slow_at_checkout_is_bounded_and_the_retry_finds_the_invoice_it_made(
    client, btcpay, settings
):
    configure(settings, btcpay.url, timeout=1.0)
    fields = method_form(client)
    btcpay.fault = "hang"  # BTCPay makes the invoice, its answer never comes
    first = client.post("/support/", fields)
    assert first.status_code == 504
    assert "slow to answer right now. Nothing was charged" in first.content.decode()
    assert Contribution.objects.get().checkout_ref == ""

    retry = client.post("/support/", fields)
    assert retry.status_code == 302
    (invoice,) = btcpay.invoices.values()
    assert retry["Location"] == invoice["checkoutLink"]
    assert Contribution.objects.get().checkout_ref == invoice["id"]
    searches = [r for r in btcpay.requests if r["method"] == "GET"]
    assert searches and searches[-1]["query"] == {"orderId": [invoice["metadata"]["orderId"]]}


def test_btcpay_refusing_the_invoice_tells_the_reader(client, btcpay):
    fields = method_form(client)
    btcpay.fault = "500"
    response = client.post("/support/", fields)
    assert response.status_code == 503
    assert Contribution.objects.get().status == "pending"


# Webhooks ---------------------------------------------------------------------


def test_settled_invoice_pays_the_gift_with_what_arrived(client, btcpay):
    gift, invoice = started_gift(client, btcpay, email="reader@example.org")
    btcpay.pay(invoice["id"], "0.0005")  # 0.0005 × 50 000 = €25.00
    btcpay.set_status(invoice["id"], "Settled")
    assert deliver(client, event("InvoiceSettled", invoice, overPaid=False)).status_code == 200
    gift.refresh_from_db()
    assert gift.status == "paid"
    assert amounts(gift) == [("payment", 2500, "EUR")]
    assert gift.supporter is not None  # the address typed at checkout is now a supporter's
    assert (
        client.get(f"/support/thanks/{gift.reference}/")
        .content.decode()
        .count("We have received your contribution")
        == 1
    )


def test_processing_is_shown_as_waiting_and_moves_no_money(client, btcpay):
    gift, invoice = started_gift(client, btcpay)
    btcpay.pay(invoice["id"], "0.0005", status="Processing")
    btcpay.set_status(invoice["id"], "Processing")
    assert deliver(client, event("InvoiceProcessing", invoice, overPaid=False)).status_code == 200
    gift.refresh_from_db()
    assert (gift.status, amounts(gift), gift.payment_ref) == ("pending", [], invoice["id"])
    page = client.get(f"/support/thanks/{gift.reference}/").content.decode()
    assert "waiting for confirmations" in page
    russian = client.get(f"/ru/support/thanks/{gift.reference}/").content.decode()
    assert "ждёт подтверждений" in russian


def test_a_partial_payment_is_recorded_as_it_is_and_never_makes_the_gift_paid(client, btcpay):
    gift, invoice = started_gift(client, btcpay)
    btcpay.pay(invoice["id"], "0.0002")  # €10 of €25
    btcpay.set_status(invoice["id"], "Expired", "PaidPartial")
    deliver(client, event("InvoiceExpired", invoice, partiallyPaid=True))
    gift.refresh_from_db()
    assert gift.status == "mismatch"  # shown to staff, not counted as a whole gift
    assert amounts(gift) == [("payment", 1000, "EUR")]


def test_an_overpayment_is_recorded_with_the_amount_received(client, btcpay):
    gift, invoice = started_gift(client, btcpay)
    btcpay.pay(invoice["id"], "0.0006")  # €30 for €25
    btcpay.set_status(invoice["id"], "Settled", "PaidOver")
    deliver(client, event("InvoiceSettled", invoice, overPaid=True))
    gift.refresh_from_db()
    assert gift.status == "mismatch"
    assert amounts(gift) == [("payment", 3000, "EUR")]


def test_a_payment_after_expiration_is_recorded_and_flagged(client, btcpay, caplog):
    gift, invoice = started_gift(client, btcpay)
    btcpay.set_status(invoice["id"], "Expired")
    deliver(client, event("InvoiceExpired", invoice, partiallyPaid=False))
    gift.refresh_from_db()
    assert gift.status == "failed"

    payment = btcpay.pay(invoice["id"], "0.0005")
    btcpay.set_status(invoice["id"], "Expired", "PaidLate")
    late = event(
        "InvoicePaymentSettled",
        invoice,
        afterExpiration=True,
        paymentMethodId="BTC-CHAIN",
        payment=payment,
    )
    assert deliver(client, late).status_code == 200
    gift.refresh_from_db()
    assert gift.status == "paid" and amounts(gift) == [("payment", 2500, "EUR")]
    assert "paid after it expired" in caplog.text
    stored = ProviderEvent.objects.get(type="InvoicePaymentSettled")
    assert stored.payload["afterExpiration"] is True  # staff see it on the event


@pytest.mark.parametrize("event_type", ["InvoiceExpired", "InvoiceInvalid"])
def test_an_expired_or_invalid_invoice_declines_the_gift(client, btcpay, event_type):
    gift, invoice = started_gift(client, btcpay)
    btcpay.set_status(invoice["id"], event_type.removeprefix("Invoice"))
    extra = (
        {"partiallyPaid": False} if event_type == "InvoiceExpired" else {"manuallyMarked": False}
    )
    deliver(client, event(event_type, invoice, **extra))
    gift.refresh_from_db()
    assert (gift.status, amounts(gift)) == ("failed", [])


def test_a_redelivery_is_applied_once(client, btcpay):
    gift, invoice = started_gift(client, btcpay)
    btcpay.pay(invoice["id"], "0.0005")
    btcpay.set_status(invoice["id"], "Settled")
    first = event("InvoiceSettled", invoice, overPaid=False)
    assert deliver(client, first).content == b"ok"
    again = {
        **first,
        "deliveryId": "DlvRedelivered",
        "isRedelivery": True,
        "originalDeliveryId": first["deliveryId"],
    }
    assert deliver(client, again).content == b"duplicate"
    assert ProviderEvent.objects.count() == 1
    assert amounts(gift) == [("payment", 2500, "EUR")]


def test_events_out_of_order_give_the_same_ledger(client, btcpay):
    gift, invoice = started_gift(client, btcpay)
    first = btcpay.pay(invoice["id"], "0.0003")
    second = btcpay.pay(invoice["id"], "0.0002")
    btcpay.set_status(invoice["id"], "Settled")
    # The settlement arrives first, then each payment's own event, then "processing".
    deliver(client, event("InvoiceSettled", invoice, overPaid=False))
    for payment in (second, first):
        deliver(
            client,
            event(
                "InvoicePaymentSettled",
                invoice,
                delivery_id=f"Dlv{payment['id']}",
                afterExpiration=False,
                paymentMethodId="BTC-CHAIN",
                payment=payment,
            ),
        )
    deliver(client, event("InvoiceProcessing", invoice, overPaid=False))
    gift.refresh_from_db()
    assert gift.status == "paid"
    assert amounts(gift) == [("payment", 1000, "EUR"), ("payment", 1500, "EUR")]
    report = io.StringIO()
    call_command("check_ledger", stdout=report, stderr=report)
    assert "MISMATCH" not in report.getvalue() and "WARNING" not in report.getvalue()


def test_a_bad_signature_is_refused_and_changes_nothing(client, btcpay):
    gift, invoice = started_gift(client, btcpay)
    btcpay.pay(invoice["id"], "0.0005")
    btcpay.set_status(invoice["id"], "Settled")
    body = event("InvoiceSettled", invoice, overPaid=False)
    assert deliver(client, body, secret="another-secret").status_code == 400
    raw = json.dumps(body).encode()
    unsigned = client.post(URL, raw, content_type="application/json")
    assert unsigned.status_code == 400
    tampered = client.post(
        URL,
        raw.replace(b"false", b"true"),
        content_type="application/json",
        HTTP_BTCPAY_SIG=sign(raw),
    )
    assert tampered.status_code == 400
    gift.refresh_from_db()
    assert (gift.status, ProviderEvent.objects.count(), LedgerEntry.objects.count()) == (
        "pending",
        0,
        0,
    )


def test_btcpay_unreachable_while_verifying_asks_for_a_redelivery(client, btcpay):
    gift, invoice = started_gift(client, btcpay)
    btcpay.fault = "500"
    response = deliver(client, event("InvoiceSettled", invoice, overPaid=False))
    assert response.status_code == 503  # BTCPay redelivers on a 5xx
    assert ProviderEvent.objects.count() == 0


def test_an_invoice_of_another_app_in_the_store_is_ignored(client, btcpay):
    invoice = btcpay._create(
        {"amount": "3.5", "currency": "USD", "metadata": {"orderId": "pos-42"}}
    )
    response = deliver(client, event("InvoiceSettled", invoice, overPaid=False))
    assert response.status_code == 200
    assert LedgerEntry.objects.count() == 0
    assert [r for r in btcpay.requests if r["method"] == "GET"] == []  # not even looked up


def test_an_invoice_staff_marked_settled_in_btcpay_records_its_amount(client, btcpay):
    gift, invoice = started_gift(client, btcpay)
    btcpay.set_status(invoice["id"], "Settled", "Marked")
    deliver(client, event("InvoiceSettled", invoice, manuallyMarked=True, overPaid=False))
    gift.refresh_from_db()
    assert (gift.status, amounts(gift)) == ("paid", [("payment", 2500, "EUR")])


def test_btcpays_test_webhook_and_other_events_are_answered_and_ignored(client, btcpay):
    gift, invoice = started_gift(client, btcpay)
    raw = json.dumps(event("InvoiceCreated", invoice)).encode()
    response = client.post(URL, raw, content_type="application/json", HTTP_BTCPAY_SIG=sign(raw))
    assert (response.status_code, response.content) == (200, b"ignored")
    assert ProviderEvent.objects.count() == 0
