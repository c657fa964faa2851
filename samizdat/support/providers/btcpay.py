"""BTCPay Server, the newsroom's own crypto payment server, through its Greenfield API.

A gift is a Greenfield invoice in the gift's currency (BTCPay converts to
Bitcoin, Lightning or whatever the store accepts); the reader is redirected to
its hosted `checkoutLink` and no script of BTCPay's loads on our pages. Only a
verified webhook moves money: `BTCPay-Sig: sha256=<hex HMAC-SHA256 of the raw
body>`. Each invoice event is completed, before it is stored, with what BTCPay
says arrived (the invoice and its payments, fetched over Greenfield), and every
settled payment becomes one ledger payment, converted at the invoice's rate:
a partial payment is recorded as what it is and never makes a gift "paid"; an
over-payment is recorded with the amount received (the ledger flags both).

A crypto wallet cannot be charged: where the server has BTCPay's Subscriptions
API, a plan is a BTCPay subscription (providers/btcpay_subscriptions.py); else
plans are reminder-based (support/btcpay_plans.py): each period a fresh invoice
is e-mailed.

Configured by BTCPAY_URL, BTCPAY_STORE_ID, BTCPAY_API_KEY, BTCPAY_WEBHOOK_SECRET,
or by the same names (without the prefix) in the provider's OPTIONS.
"""

import hashlib
import hmac
import json
import logging
import time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..money import decimal_places, minor_to_major
from .base import (
    Delivery,
    Fact,
    InvalidEvent,
    ParsedEvent,
    PaymentProvider,
    ProviderError,
    deliver_locally,
    event_time,
    keep_fields,
    parse_event_body,
    provider_timeout,
)
from .btcpay_events import (
    FETCHED,
    HANDLED_EVENTS,
    PAYOUTS,
    PERIOD_KEY,
    PLAN_EVENTS,
    REFERENCE_KEY,
    REFUND_EVENTS,
    SIGNATURE_HEADER,
    STORED_FIELDS,
)
from .btcpay_payouts import (
    CHECKED,
    PAYOUT_EVENTS,
    complete_payout_event,
    payout_facts,
)
from .btcpay_reconcile import FOUND, list_movements, record_missing
from .btcpay_subscriptions import (
    SUBSCRIPTION_EVENTS,
    SUBSCRIPTION_PREFIX,
    PlanCurrencyMismatch,
    Subscriptions,
    is_subscription,
    subscription_facts,
)
from .greenfield import Greenfield

__all__ = ["HANDLED_EVENTS", "SIGNATURE_HEADER", "BTCPayProvider", "signature"]

logger = logging.getLogger(__name__)

def signature(body, secret):
    """The BTCPay-Sig header BTCPay sends (Plugins/Webhooks/WebhookSender.cs)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _text(value, name):
    if not isinstance(value, str) or len(value) > 255:
        raise InvalidEvent(f"{name} is not a short string")
    return value


def _same_amount(given, asked):
    try:
        return Decimal(str(given)) == Decimal(asked)
    except InvalidOperation:
        return False


def _decimal(value):
    try:
        number = Decimal(_text(value, "an amount"))
    except InvalidOperation as exc:
        raise InvalidEvent("an amount is not a decimal") from exc
    if not number.is_finite() or number < 0:
        raise InvalidEvent("an amount is not a positive decimal")
    return number


class BTCPayProvider(PaymentProvider):
    public_name = _("Bitcoin and other crypto (BTCPay Server)")
    supports_recurring = True  # reminder-based: support/btcpay_plans.py
    collects_recurring = False
    method_kind = "crypto"  # the demo stand-in too, whatever its alias
    supports_cancel = True
    supports_change = True  # the amount (and a subscription's frequency too)
    # A late payment on a crypto invoice can come a day after it expired.
    delayed = True

    def _option(self, name):
        return self.options.get(name) or getattr(settings, f"BTCPAY_{name}", "") or ""

    def is_configured(self):
        return all(self._option(name) for name in ("URL", "STORE_ID", "API_KEY"))

    @property
    def api(self):
        return Greenfield(
            self._option("URL"),
            self._option("STORE_ID"),
            self._option("API_KEY"),
            provider_timeout(),
        )

    # Checkout ------------------------------------------------------------
    def invoice_request(self, subject, redirect_url, period=0):
        """The Greenfield CreateInvoiceRequest for a gift or one period of a plan."""
        order_id = subject.reference if not subject.recurring else f"{subject.reference}-{period}"
        metadata = {"orderId": order_id, REFERENCE_KEY: subject.reference}
        if subject.recurring:
            metadata[PERIOD_KEY] = period
        return {
            "amount": amount_text(subject.amount_minor, subject.currency),
            "currency": subject.currency,
            "metadata": metadata,
            "checkout": {
                "redirectURL": redirect_url,
                "redirectAutomatically": True,
                "defaultLanguage": "ru" if (subject.language or "").startswith("ru") else "en",
            },
        }

    def open_invoice(self, subject, redirect_url, period=0):
        """An invoice the reader can still pay: the one an earlier try of this very start
        created (found by its orderId, so a retry after a timeout makes no second one),
        or a new one. Returns the Greenfield invoice."""
        body = self.invoice_request(subject, redirect_url, period)
        order_id = body["metadata"]["orderId"]
        for invoice in self.api.invoices_by_order(order_id) or []:
            if (
                isinstance(invoice, dict)
                and invoice.get("status") == "New"
                and (invoice.get("metadata") or {}).get(REFERENCE_KEY) == subject.reference
                and invoice.get("currency") == subject.currency
                and _same_amount(invoice.get("amount"), body["amount"])
            ):
                return invoice
        return self.api.create_invoice(body)

    def begin_checkout(self, subject, urls):
        if subject.recurring and self.subscriptions_available():
            try:
                return Subscriptions(self).begin_checkout(subject, urls)
            except PlanCurrencyMismatch as exc:
                logger.info("BTCPay plans are in %s: a reminder plan instead", exc.currency)
        invoice = self.open_invoice(subject, urls.success)
        subject.checkout_ref = invoice["id"]
        return invoice["checkoutLink"]

    # Recurring plans: the supporter pays each period; the rest is ours ------
    def plan_option(self, name, default):
        return int(self.options.get(name, default))

    def subscriptions_available(self):
        return Subscriptions(self).available()

    def cancel_recurring(self, pledge, reason=""):
        if is_subscription(pledge):
            Subscriptions(self).suspend(pledge, reason)
        return self.deliver_own_event(
            "SamizdatPlanEnded", pledge, f"ended-{pledge.reference}", reason=reason or "requested"
        )

    def change_recurring(self, pledge, amount_minor=None, frequency=None):
        """A BTCPay subscription's own plan is updated on BTCPay; a reminder plan's
        next invoices are simply for the new amount (its periods are counted in its
        frequency, so that one stays). Either way our signed event records it."""
        amount_minor = amount_minor or pledge.amount_minor
        frequency = frequency or pledge.frequency
        if is_subscription(pledge):
            Subscriptions(self).change(pledge, amount_minor, frequency)
        elif frequency != pledge.frequency:
            raise ProviderError(
                _("A crypto plan's frequency cannot be changed: end it and start a new one.")
            )
        return self.deliver_own_event(
            "SamizdatPlanChanged",
            pledge,
            f"changed-{pledge.reference}-{amount_minor}-{frequency}-{time.time_ns()}",
            amount_minor=amount_minor,
            frequency=frequency,
        )

    def deliver_own_event(self, event_type, subject, delivery_id, **extra):
        """Sign an event of this site's own (a plan's life, a refund) as BTCPay signs its
        events, and hand it to the receiver in this process; its delivery id makes a
        second delivery a duplicate."""
        event = {
            "deliveryId": delivery_id,
            "originalDeliveryId": delivery_id,
            "isRedelivery": False,
            "type": event_type,
            "timestamp": int(time.time()),
            "metadata": {REFERENCE_KEY: subject.reference},
            **extra,
        }
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = {SIGNATURE_HEADER: signature(body, self._option("WEBHOOK_SECRET"))}
        return deliver_locally(self.identifier, Delivery(body, headers))

    # Refunds -------------------------------------------------------------
    def refund(self, invoice_id, amount_minor=None, currency=""):
        """Ask BTCPay for a refund of an invoice: it creates a pull payment the payer
        claims with their own address. Nothing is recorded here; the ledger records
        the refund when BTCPay reports it paid (support/btcpay_refunds.py). Returns the
        Greenfield PullPaymentData."""
        # "Fiat": the payer gets back the gift's amount in its currency, so the payouts
        # BTCPay reports are in that currency too, as the ledger records them.
        body = {"refundVariant": "Fiat", "name": f"Refund {invoice_id}"}
        if amount_minor:
            body.update(
                refundVariant="Custom",
                customCurrency=currency,
                customAmount=amount_text(amount_minor, currency),
            )
        return self.api.refund(invoice_id, body)

    # Events --------------------------------------------------------------
    def verify_event(self, request):
        secret = self._option("WEBHOOK_SECRET")
        if not secret:
            raise InvalidEvent("no webhook secret configured")
        given = request.headers.get(SIGNATURE_HEADER) or ""
        expected = signature(request.body, secret)
        # As bytes: compare_digest refuses non-ASCII str (a forged header may carry any).
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape")):
            raise InvalidEvent("bad signature")
        payload = parse_event_body(request.body)
        event_type = _text(payload.get("type"), "the event type")
        # A redelivery is a new delivery of the same event: it keeps the first one's id.
        event_id = payload.get("originalDeliveryId") or payload.get("deliveryId")
        if not event_id:
            raise InvalidEvent("no delivery id")
        event_id = _text(event_id, "the delivery id")
        if event_type in PAYOUT_EVENTS or event_type == CHECKED:
            payload = complete_payout_event(self, payload)
        if event_type == "SamizdatRefundPaid":
            pull_payment = _text(payload.get("pullPaymentId"), "the pull payment")
            payload[PAYOUTS] = self.fetch_payouts(pull_payment)
        if event_type in HANDLED_EVENTS and self._ours(payload):
            payload[FETCHED] = self.fetch_invoice(
                _text(payload.get("invoiceId"), "invoiceId"), payload
            )
        return ParsedEvent(
            id=f"{event_type}:{event_id}",
            type=event_type,
            payload=payload,
            occurred_at=event_time(payload.get("timestamp")),
        )

    @staticmethod
    def _ours(payload):
        """An invoice this site created (the store may sell other things too)."""
        metadata = payload.get("metadata")
        return isinstance(metadata, dict) and bool(metadata.get(REFERENCE_KEY))

    def fetch_invoice(self, invoice_id, payload=None):
        """What arrived on an invoice, as BTCPay knows it now: its state and every payment
        it counts, with the rate of the method it came by."""
        invoice = self.api.invoice(invoice_id)
        methods = self.api.payment_methods(invoice_id)
        payments = []
        for method in methods or []:
            for payment in method.get("payments") or []:
                payments.append(
                    {
                        "id": payment.get("id"),
                        "method": method.get("paymentMethodId"),
                        "value": payment.get("value"),
                        "rate": method.get("rate"),
                        "status": payment.get("status"),
                        "receivedDate": payment.get("receivedDate"),
                    }
                )
        return {
            "id": invoice.get("id"),
            "status": invoice.get("status"),
            "additionalStatus": invoice.get("additionalStatus"),
            "amount": invoice.get("amount"),
            "currency": invoice.get("currency"),
            "metadata": invoice.get("metadata") or {},
            "payments": payments,
        }

    def fetch_payouts(self, pull_payment_id):
        return [
            {key: payout.get(key) for key in ("id", "state", "originalAmount", "originalCurrency")}
            for payout in self.api.payouts(pull_payment_id) or []
        ]

    def handles(self, event_type):
        return event_type in HANDLED_EVENTS | PLAN_EVENTS | REFUND_EVENTS | SUBSCRIPTION_EVENTS

    # Reconciliation (providers/btcpay_reconcile.py) ---------------------------
    def list_movements(self, since):
        return list_movements(self, since)

    def record_missing(self, movements):
        return record_missing(self, movements)

    def not_listed(self, entry):
        """A subscription's credit (providers/btcpay_subscriptions.py): BTCPay's invoices
        for a plan carry no reference of ours, so the listing cannot be matched to it."""
        return entry.provider_ref.startswith(SUBSCRIPTION_PREFIX)

    def settled_facts(self, fetched):
        """The payment facts of an invoice as Greenfield describes it now."""
        payload = {
            "invoiceId": fetched.get("id"),
            "metadata": fetched.get("metadata"),
            FETCHED: fetched,
        }
        return [fact for fact in self.facts(FOUND, payload) if fact.kind == "payment"]

    def stored_payload(self, payload):
        return keep_fields(payload, STORED_FIELDS)

    def facts(self, event_type, payload):
        if event_type in SUBSCRIPTION_EVENTS:
            return subscription_facts(self, event_type, payload, self._minor)
        if event_type in PLAN_EVENTS:
            return self._plan_facts(event_type, payload)
        if event_type in PAYOUT_EVENTS or event_type == CHECKED:
            return payout_facts(payload, self._minor)
        if event_type in REFUND_EVENTS:
            return self._refund_facts(payload)
        invoice = payload.get(FETCHED)
        if not isinstance(invoice, dict) or not self._ours(payload):
            return []  # not one of ours
        metadata = invoice.get("metadata") or {}
        reference = _text(metadata.get(REFERENCE_KEY) or "", "the reference")
        invoice_id = _text(invoice.get("id"), "the invoice id")
        if invoice_id != payload.get("invoiceId"):
            raise InvalidEvent("the fetched invoice is another one")
        plan = PERIOD_KEY in metadata
        if event_type == FOUND:  # what a lost webhook would have said of the invoice
            settled = invoice.get("status") == "Settled"
            event_type = "InvoiceSettled" if settled else "InvoicePaymentSettled"
        common = {"reference": reference}
        if plan:
            common["subscription_ref"] = f"btcpay-{reference}"
        facts = self.payment_facts(invoice, common)
        if event_type == "InvoiceSettled":
            if not facts and invoice.get("additionalStatus") == "Marked":
                # Staff marked it settled in BTCPay: they say the money is there.
                currency = _text(invoice.get("currency"), "the currency").upper()
                facts = [
                    Fact(
                        "payment",
                        **common,
                        payment_ref=invoice_id,
                        source_ref=invoice_id,
                        provider_ref=f"{invoice_id}:marked",
                        amount_minor=self._minor(_decimal(invoice.get("amount")), currency),
                        currency=currency,
                    )
                ]
            if plan and facts:
                facts.insert(0, Fact("activated", **common))
        elif event_type == "InvoiceProcessing" and not plan:
            facts.insert(0, Fact("processing", reference=reference, payment_ref=invoice_id))
        elif event_type in {"InvoiceExpired", "InvoiceInvalid"} and not plan:
            # Declined; a part that arrived before is recorded all the same (above).
            facts.append(Fact("declined", reference=reference))
        elif event_type == "InvoicePaymentSettled" and payload.get("afterExpiration"):
            logger.warning(
                "BTCPay invoice %s of %s was paid after it expired; recorded", invoice_id, reference
            )
        return facts

    def _plan_facts(self, event_type, payload):
        reference = _text((payload.get("metadata") or {}).get(REFERENCE_KEY), "the reference")
        common = {"reference": reference, "subscription_ref": f"btcpay-{reference}"}
        if event_type == "SamizdatPlanPastDue":
            return [Fact("payment_failed", **common)]
        if event_type == "SamizdatPlanEnded":
            return [Fact("canceled", **common)]
        if event_type == "SamizdatPlanChanged":
            frequency = payload.get("frequency")
            amount = payload.get("amount_minor")
            if frequency not in {"monthly", "annual"} or type(amount) is not int:
                raise InvalidEvent("a plan change without an amount or frequency")
            return [Fact("changed", **common, amount_minor=amount, frequency=frequency)]
        return []  # a reminder sent: kept as a record of it, nothing changes

    def _refund_facts(self, payload):
        """A refund is money out once BTCPay has paid it: each completed payout of the
        refund's pull payment, in the currency the refund was asked in."""
        reference = _text((payload.get("metadata") or {}).get(REFERENCE_KEY), "the reference")
        invoice_id = _text(payload.get("invoiceId"), "the invoice id")
        facts = []
        for payout in payload.get(PAYOUTS) or []:
            if not isinstance(payout, dict) or payout.get("state") != "Completed":
                continue
            currency = _text(payout.get("originalCurrency"), "the currency").upper()
            facts.append(
                Fact(
                    "refund",
                    reference=reference,
                    source_ref=invoice_id,
                    provider_ref=_text(payout.get("id"), "a payout id"),
                    amount_minor=self._minor(_decimal(payout.get("originalAmount")), currency),
                    currency=currency,
                )
            )
        return facts

    @staticmethod
    def _minor(amount, currency):
        return int(
            amount.scaleb(decimal_places(currency)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        )

    def payment_facts(self, invoice, common):
        """One "payment" fact per settled payment, in the invoice's currency.

        Each is the difference of the running totals rounded to minor units, in the
        order BTCPay received them, so the payments of an invoice add up to what it
        received however it was split, and the same payment always gets the same amount
        (its ledger entry is found again by provider_ref on every later event)."""
        invoice_id = invoice["id"]
        currency = _text(invoice.get("currency"), "the currency").upper()
        payments = invoice.get("payments") or []
        if not isinstance(payments, list):
            raise InvalidEvent("payments are not a list")
        settled = sorted(
            (p for p in payments if isinstance(p, dict) and p.get("status") == "Settled"),
            key=lambda p: (p.get("receivedDate") or 0, str(p.get("id"))),
        )
        facts, exact, recorded = [], Decimal(0), 0
        for payment in settled:
            exact += _decimal(payment.get("value")) * _decimal(payment.get("rate"))
            running = self._minor(exact, currency)
            amount, recorded = running - recorded, running
            if amount <= 0:
                continue
            payment_id = _text(payment.get("id"), "a payment id")
            facts.append(
                Fact(
                    "payment",
                    **common,
                    payment_ref=invoice_id,
                    source_ref=invoice_id,
                    provider_ref=f"{invoice_id}:{payment_id}"[:255],
                    amount_minor=amount,
                    currency=currency,
                )
            )
        return facts


def amount_text(amount_minor, currency):
    """Minor units as the decimal string Greenfield takes ("5.00")."""
    return str(minor_to_major(amount_minor, currency))
