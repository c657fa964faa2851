"""An offline stand-in for a BTCPay Server, for `make demo`: plainly a simulation.

The reader "pays" on Samizdat's own demo checkout page; the stand-in then signs
an event exactly as BTCPay signs its webhooks (BTCPay-Sig) and hands it to the
same receiver, so verification, recording, the ledger, the receipt and the goal
run the code a real BTCPay Server's events run. What BTCPay would be asked over
Greenfield (the invoice and its payments) travels inside the signed event.

Monthly and annual gifts are reminder-based plans (support/btcpay_plans.py), as
with a BTCPay Server without the Subscriptions API: the first period is paid on
the demo checkout, each later one through the reminder's link, which opens the
same demo checkout for that period.

Never in production: it refuses to start a checkout or take an event there, and
startup refuses it (samizdat_security.E016), like the demo card provider.
"""

import json
import time

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .base import Delivery, InvalidEvent, deliver_locally
from .btcpay import (
    PERIOD_KEY,
    REFERENCE_KEY,
    SIGNATURE_HEADER,
    BTCPayProvider,
    amount_text,
    signature,
)
from .demo import demo_payments_allowed, refuse_in_production

__all__ = ["DemoBTCPayProvider"]

DEMO_INVOICE = "samizdat_demo_invoice"
# A made-up rate: one demo coin is worth 1 of the gift's currency, so sums stay exact.
DEMO_RATE = "1"


class DemoBTCPayProvider(BTCPayProvider):
    public_name = _("Crypto (demo of BTCPay Server)")
    supports_recurring = True  # reminder-based, each period on the demo checkout
    supports_cancel = True

    def subscriptions_available(self):
        return False  # no server to hold subscriptions: reminder plans

    def is_configured(self):
        return demo_payments_allowed()  # never offered to readers in production

    def _option(self, name):
        if name == "WEBHOOK_SECRET":
            return (
                self.options.get("WEBHOOK_SECRET")
                or salted_hmac("samizdat.support.demo-btcpay", self.identifier).hexdigest()
            )
        return super()._option(name)

    def begin_checkout(self, subject, urls):
        refuse_in_production()
        subject.checkout_ref = f"demo_btcpay_{subject.reference}"
        with translation.override(subject.language or settings.LANGUAGE_CODE):
            return reverse("support:demo_checkout", args=[subject.reference])

    # What the demo checkout page's buttons do --------------------------
    def complete(self, subject, period=0):
        return self._deliver(subject, "InvoiceSettled", "Settled", paid=True, period=period)

    def decline(self, subject):
        return self._deliver(subject, "InvoiceInvalid", "Invalid", paid=False)

    def abandon(self, subject):
        return self._deliver(subject, "InvoiceExpired", "Expired", paid=False)

    def _deliver(self, subject, event_type, status, paid, period=0):
        refuse_in_production()
        # A plan's later periods are invoices of their own, as on a real server.
        suffix = f"-{period}" if period else ""
        invoice_id = f"demo_btcpay_{subject.reference}{suffix}"
        payments = []
        if paid:
            payments.append(
                {
                    "id": f"demo-tx-{subject.reference}{suffix}",
                    "method": "BTC-CHAIN",
                    "value": amount_text(subject.amount_minor, subject.currency),
                    "rate": DEMO_RATE,
                    "status": "Settled",
                    "receivedDate": int(time.time()),
                }
            )
        metadata = {"orderId": subject.reference, REFERENCE_KEY: subject.reference}
        if subject.recurring:
            metadata.update(orderId=f"{subject.reference}-{period}", **{PERIOD_KEY: period})
        event = {
            # One delivery id per gift (or period) and outcome: a double click is one event.
            "deliveryId": f"demo-{event_type}-{subject.reference}{suffix}",
            "webhookId": "demo",
            "originalDeliveryId": f"demo-{event_type}-{subject.reference}{suffix}",
            "isRedelivery": False,
            "type": event_type,
            "timestamp": int(time.time()),
            "storeId": "demo",
            "invoiceId": invoice_id,
            "metadata": metadata,
            DEMO_INVOICE: {
                "id": invoice_id,
                "status": status,
                "additionalStatus": "None",
                "amount": amount_text(subject.amount_minor, subject.currency),
                "currency": subject.currency,
                "metadata": metadata,
                "payments": payments,
            },
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = {SIGNATURE_HEADER: signature(body, self._option("WEBHOOK_SECRET"))}
        return deliver_locally(self.identifier, Delivery(body, headers))

    # Greenfield, answered by the event itself ----------------------------
    def verify_event(self, request):
        if not demo_payments_allowed():
            raise InvalidEvent("the demo provider takes no events in production")
        return super().verify_event(request)

    def fetch_invoice(self, invoice_id, payload=None):
        invoice = (payload or {}).get(DEMO_INVOICE)
        if not isinstance(invoice, dict) or invoice.get("id") != invoice_id:
            raise InvalidEvent("a demo event carries its invoice")
        return invoice

    def refund(self, invoice_id, amount_minor=None, currency=""):
        raise InvalidEvent("the demo stand-in makes no refunds")

    def open_invoice(self, subject, redirect_url, period=0):
        """A later period's "invoice": the demo checkout for that period."""
        refuse_in_production()
        with translation.override(subject.language or settings.LANGUAGE_CODE):
            url = reverse("support:demo_checkout", args=[subject.reference])
        return {
            "id": f"demo_btcpay_{subject.reference}-{period}",
            "checkoutLink": f"{url}?{urlencode({'period': period})}",
        }
