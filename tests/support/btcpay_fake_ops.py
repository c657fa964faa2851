"""The loopback BTCPay stand-in (btcpay_fake.py), with what refunds and reconciliation read.

- The store's invoice list as BTCPay's GreenfieldInvoiceController.GetInvoices answers it:
  created between `startDate` and `endDate` (Unix seconds, both ends included), newest
  first, `skip`/`take` applied after the filter. `shift_next_page` makes a new invoice
  (another sale of the store's) appear at the top of the window before the next page,
  so that page repeats the last invoice of the one before, as BTCPay's would.
- A pull payment's payouts (GreenfieldPullPaymentController.GetPayouts): cancelled ones
  only with `includeCancelled=true`, 404 for a pull payment BTCPay does not have.
- Payout webhooks serialised as BTCPay's WebhookSender does (Json.NET, no whitespace,
  the WebhookEvent fields then `storeId`, `payoutId`, `pullPaymentId`, `payoutState`:
  `WebhookPayoutEvent` in BTCPayServer.Client/Models/WebhookInvoiceEvent.cs) and signed
  over those exact bytes.

Every request is still matched to the pinned OpenAPI document by the base class.
"""

import json
import time

import pytest

from .btcpay_fake import STORE_ID, WEBHOOK_SECRET, FakeBTCPay, sign, webhook_body, webhook_errors

# The body of a payout event, field by field, in the order BTCPay writes them.
PAYOUT_EVENT_FIELDS = [
    "deliveryId",
    "webhookId",
    "originalDeliveryId",
    "isRedelivery",
    "type",
    "timestamp",
    "storeId",
    "payoutId",
    "pullPaymentId",
    "payoutState",
]


class FakeBTCPayOps(FakeBTCPay):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shift_next_page = False

    def _route(self, method, path, query, body):
        segments = path.strip("/").split("/")
        if method == "GET" and segments[2] == "pull-payments" and segments[4:] == ["payouts"]:
            record = self.pull_payments.get(segments[3])
            if record is None:
                return 404, {"code": "pullpayment-not-found", "message": "not found"}
            payouts = record["payouts"]
            if query.get("includeCancelled") != ["true"]:
                payouts = [p for p in payouts if p["state"] != "Cancelled"]
            return 200, payouts
        if (
            method == "GET"
            and segments[2] == "stores"
            and segments[3] == STORE_ID
            and segments[4:] == ["invoices"]
            and "orderId" not in query
        ):
            return 200, self._listing(query)
        return super()._route(method, path, query, body)

    def _listing(self, query):
        def number(name, default):
            return int(float(query[name][0])) if name in query else default

        start, end = number("startDate", 0), number("endDate", 2**62)
        skip = number("skip", 0)
        if self.shift_next_page and skip:
            self.shift_next_page = False
            sale = self._create({"amount": "1.00", "currency": "EUR", "metadata": {}})
            sale["createdTime"] = end
        chosen = [i for i in self.invoices.values() if start <= i["createdTime"] <= end]
        chosen.sort(key=lambda i: (i["createdTime"], i["id"]), reverse=True)
        take = number("take", len(chosen))
        return chosen[skip : skip + take]

    # What happens at BTCPay, as the tests say ------------------------------------
    def invoice_for(self, subject, created=None):
        """An invoice of this site's for a gift (as the provider makes them)."""
        invoice = self._create(
            {
                "amount": f"{subject.amount_minor / 100:.2f}",
                "currency": subject.currency,
                "metadata": {
                    "orderId": subject.reference,
                    "samizdat_reference": subject.reference,
                },
            }
        )
        if created is not None:
            invoice["createdTime"] = created
        subject.checkout_ref = invoice["id"]
        subject.save(update_fields=["checkout_ref"])
        return invoice


def payout_event(event_type, payout, delivery_id=None, original=None, state=None):
    """(raw body, BTCPay-Sig) of a payout webhook; `original` makes it a redelivery."""
    delivery_id = delivery_id or f"Dlv{event_type}{payout['id']}{time.time_ns()}"
    body = webhook_body(event_type, delivery_id, originalDeliveryId=original or delivery_id,
                    isRedelivery=original is not None, payoutId=payout["id"],
                    pullPaymentId=payout["pullPaymentId"],
                    payoutState=state or payout["state"])
    assert list(body) == PAYOUT_EVENT_FIELDS
    assert webhook_errors(body) == []
    raw = json.dumps(body, separators=(",", ":")).encode()
    return raw, sign(raw, WEBHOOK_SECRET)


@pytest.fixture
def btcpay(settings):
    """The stand-in with payouts and invoice listings, configured as the site's BTCPay;
    every request and answer is checked against BTCPay's OpenAPI document."""
    from .test_btcpay import configure

    fake = FakeBTCPayOps()
    configure(settings, fake.url)
    yield fake
    fake.close()
    assert fake.errors == [], "requests or answers outside BTCPay's OpenAPI document"
