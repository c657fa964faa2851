"""Stripe, through the official SDK: hosted Checkout for gifts and plans, signed webhooks.

No Stripe script ever loads on our pages: the reader is redirected to
Stripe's hosted Checkout (cards, Apple Pay, Google Pay and whatever the
account enables) and comes back to our thank-you or cancel page. Money
state changes only through verified webhooks.

Configured by STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_API_BASE
(an emulator such as localstripe; unset means Stripe itself), or by the same
names in the provider's OPTIONS.
"""


import logging

import stripe
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..crypto import unseal
from .base import (
    Fact,
    InvalidEvent,
    Movement,
    ParsedEvent,
    PaymentProvider,
    event_id_and_type,
    event_time,
    keep_fields,
    minor_units,
    parse_event_body,
    provider_timeout,
)
from .deadline_http import DeadlineHTTPClient, provider_error
from .stripe_plans import INTERVALS, REFERENCE_KEY, StripePlans, _id

__all__ = ["API_VERSION", "HANDLED_EVENTS", "PLAN_STATUS", "StripeProvider"]

logger = logging.getLogger(__name__)

# The Stripe API version this code is written for: every call sends it, and the webhook
# endpoint should be created with it (event payloads follow the endpoint's version).
# Invoices there carry no payment_intent or charge; their payments do (InvoicePayment).
API_VERSION = "2026-10-28.endive"
INVOICE_PAID_EVENTS = {"invoice.paid", "invoice.payment_succeeded"}

FREQUENCIES = {"month": "monthly", "year": "annual"}

# Stripe's subscription states in the neutral words of a plan (support/facts.py). A state
# with no word here is "": the event's amount and interval still count, the state not.
PLAN_STATUS = {
    "active": "active",
    "trialing": "active",
    "past_due": "past_due",
    "unpaid": "past_due",
    "paused": "paused",
    "canceled": "canceled",
    "incomplete_expired": "canceled",
    "incomplete": "pending",
}

HANDLED_EVENTS = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
}


# The fields of an event the ledger reads (see the _on_… handlers), and nothing else:
# hosted_invoice_url, invoice_pdf, customer_tax_ids, cancellation_details, names,
# addresses, card details and the like are dropped before the event is stored.
_REFERENCE_ONLY = {REFERENCE_KEY: True}
_PLAN = {"id": True, "object": True, "amount": True, "currency": True, "interval": True,
         "product": True}
_PRICE = {"id": True, "object": True, "unit_amount": True, "currency": True,
          "recurring": {"interval": True}, "product": True}
STORED_OBJECT_FIELDS = {
    "id": True, "object": True, "created": True, "livemode": True, "mode": True,
    "status": True, "payment_status": True, "client_reference_id": True,
    "metadata": _REFERENCE_ONLY, "customer": True, "customer_details": {"email": True},
    "subscription": True, "payment_intent": True, "charge": True, "invoice": True,
    "amount": True, "amount_total": True, "amount_paid": True, "amount_due": True,
    "amount_refunded": True, "refunded": True, "currency": True,
    "parent": {"type": True, "subscription_details": {
        "subscription": True, "metadata": _REFERENCE_ONLY}},
    "subscription_details": {"metadata": _REFERENCE_ONLY},
    "pause_collection": {"behavior": True, "resumes_at": True},
    "items": {"object": True, "data": [{"id": True, "object": True, "price": _PRICE,
                                        "plan": _PLAN}]},
    "plan": _PLAN,
    "refunds": {"object": True, "data": [{"id": True, "object": True, "amount": True,
                                          "currency": True, "status": True}]},
    # An invoice's payments (Stripe's InvoicePayment objects): which PaymentIntent or
    # charge paid it. Not in the event itself; looked up when the event arrives.
    "payments": {"object": True, "data": [{
        "id": True, "object": True, "status": True, "amount_paid": True, "currency": True,
        "payment": {"type": True, "payment_intent": True, "charge": True}}]},
}
STORED_EVENT_FIELDS = {
    "id": True, "object": True, "type": True, "created": True, "api_version": True,
    "livemode": True, "data": {"object": STORED_OBJECT_FIELDS},
}


class StripeProvider(StripePlans, PaymentProvider):
    public_name = _("Card, Apple Pay, Google Pay (Stripe)")
    supports_recurring = True
    supports_cancel = True
    supports_change = True
    supports_pause = True

    def _option(self, name):
        return self.options.get(name) or getattr(settings, f"STRIPE_{name}", "") or ""

    def is_configured(self):
        return bool(self._option("SECRET_KEY"))

    @property
    def client(self):
        """The SDK client: every call bounded by SAMIZDAT_PROVIDER_TIMEOUT seconds in all, and
        retried SAMIZDAT_PROVIDER_RETRIES times on a network error, 409 or 5xx (under the
        same idempotency key, so a retry never creates a second object)."""
        api_base = self._option("API_BASE")
        retries = self.options.get("MAX_NETWORK_RETRIES")
        if retries is None:
            # Emulators (localstripe) ignore Idempotency-Key: an SDK retry could duplicate.
            retries = 0 if api_base else getattr(settings, "SAMIZDAT_PROVIDER_RETRIES", 1)
        kwargs = {
            "max_network_retries": int(retries),
            # The whole call, retries included, within the timeout (deadline_http.py).
            "http_client": DeadlineHTTPClient(timeout=provider_timeout()),
        }
        if api_base:
            kwargs["base_addresses"] = {"api": api_base.rstrip("/")}
        return stripe.StripeClient(self._option("SECRET_KEY"), stripe_version=API_VERSION,
                                   **kwargs)

    # Checkout ------------------------------------------------------------
    def checkout_params(self, subject, urls):
        """The Checkout Session we ask Stripe for (kept separate so tests can read it)."""
        with translation.override(subject.language or settings.LANGUAGE_CODE):
            name = gettext("Monthly contribution") if subject.frequency == "monthly" else (
                gettext("Annual contribution") if subject.frequency == "annual"
                else gettext("One-off contribution")
            )
        price_data = {
            "currency": subject.currency.lower(),
            "unit_amount": subject.amount_minor,
            "product_data": {"name": name},
        }
        metadata = {REFERENCE_KEY: subject.reference}
        params = {
            "success_url": urls.success,
            "cancel_url": urls.cancel,
            "client_reference_id": subject.reference,
            "metadata": metadata,
            "line_items": [{"price_data": price_data, "quantity": 1}],
            "locale": "ru" if (subject.language or "").startswith("ru") else "auto",
        }
        if subject.email:
            params["customer_email"] = subject.email
        if subject.frequency == "once":
            params.update(mode="payment", submit_type="donate",
                          payment_intent_data={"metadata": metadata})
        else:
            price_data["recurring"] = {"interval": INTERVALS[subject.frequency]}
            params.update(mode="subscription", subscription_data={"metadata": metadata})
        return params

    def begin_checkout(self, subject, urls):
        # One key per contribution: a start retried after a timeout gets the session the
        # first try created (Stripe replays it for 24 hours), never a second one.
        options = {"idempotency_key": f"samizdat-checkout-{subject.reference}"}
        try:
            session = self.client.v1.checkout.sessions.create(
                params=self.checkout_params(subject, urls), options=options
            )
        except stripe.StripeError as exc:
            raise provider_error(exc) from exc
        subject.checkout_ref = session.id
        return session.url

    # Reconciliation ------------------------------------------------------
    def list_movements(self, since):
        """Charges created since `since`, each charge's refunds and the disputes, read
        page by page (auto_paging_iter). Returns (movements, notes)."""
        client = self.client
        page = {"limit": int(self.options.get("RECONCILE_PAGE_SIZE", 100))}
        created = {"gt": int(since.timestamp()) - 1}  # "gte" is not in every emulator
        movements, notes = [], []
        for charge in client.v1.charges.list(
                params={**page, "created": created}).auto_paging_iter():
            charge = charge.to_dict()
            if charge.get("status") != "succeeded" or charge.get("captured") is False:
                continue
            keys = frozenset({charge["id"], _id(charge.get("payment_intent")),
                              _id(charge.get("invoice"))} - {""})
            currency = (charge.get("currency") or "").upper()
            amount = charge.get("amount_captured") or charge.get("amount") or 0
            movements.append(Movement("payment", keys, amount, currency,
                                      f"charge {charge['id']}"))
            if charge.get("amount_refunded"):
                refunds = [refund.to_dict() for refund in client.v1.refunds.list(
                    params={**page, "charge": charge["id"]}).auto_paging_iter()]
                refunds = [r for r in refunds if r.get("status") in {"succeeded", "pending"}]
                ids = ", ".join(r["id"] for r in refunds)
                movements.append(Movement("refund", keys, -sum(r["amount"] for r in refunds),
                                          currency, f"refunds of charge {charge['id']} ({ids})"))
        try:
            disputes = [d.to_dict() for d in client.v1.disputes.list(
                params={**page, "created": created}).auto_paging_iter()]
        except stripe.StripeError as exc:
            if exc.http_status != 404:
                raise
            notes.append("disputes: this API does not list them (an emulator?); not compared")
            disputes = []
        for dispute in disputes:
            if str(dispute.get("status", "")).startswith("warning_"):
                continue  # an inquiry: no funds were withdrawn
            currency = (dispute.get("currency") or "").upper()
            movements.append(Movement("dispute", frozenset({dispute["id"]}), -dispute["amount"],
                                      currency, f"dispute {dispute['id']}"))
            if dispute.get("status") == "won":
                movements.append(Movement("reinstated", frozenset({f"{dispute['id']}:won"}),
                                          dispute["amount"], currency,
                                          f"dispute {dispute['id']} won"))
        return movements, notes

    # Events --------------------------------------------------------------
    def verify_event(self, request):
        secret = self._option("WEBHOOK_SECRET")
        if not secret:
            raise InvalidEvent("no webhook secret configured")
        header = request.headers.get("Stripe-Signature")
        if not header:
            raise InvalidEvent("missing Stripe-Signature")
        try:
            stripe.WebhookSignature.verify_header(
                request.body.decode("utf-8"), header, secret, stripe.Webhook.DEFAULT_TOLERANCE)
        except stripe.SignatureVerificationError as exc:
            raise InvalidEvent("bad signature") from exc
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            raise InvalidEvent("malformed event") from exc
        payload = parse_event_body(request.body)
        event_id, event_type = event_id_and_type(payload)
        if payload.get("api_version") not in (None, API_VERSION):
            logger.warning("Stripe event %s has API version %s; this code reads %s. Create "
                           "the webhook endpoint with %s.", event_id,
                           payload.get("api_version"), API_VERSION, API_VERSION)
        if event_type in INVOICE_PAID_EVENTS:
            self._add_invoice_payments(payload)
        return ParsedEvent(id=event_id, type=event_type, payload=payload,
                           occurred_at=event_time(payload.get("created")))

    def _add_invoice_payments(self, payload):
        """Put the invoice's payments into a verified invoice event before it is stored.

        Since API 2025-03-31 an invoice names no payment_intent or charge; its payments
        (an includable list, absent from events) do. Without them a renewal's payment
        would have no source reference, and a later refund or dispute of it would be
        matched only by a fallback. If Stripe cannot be asked now, the event is recorded
        without them, as before."""
        invoice = (payload.get("data") or {}).get("object")
        if not isinstance(invoice, dict) or "payments" in invoice or not invoice.get("id"):
            return
        try:
            listing = self.client.v1.invoice_payments.list(
                params={"invoice": invoice["id"], "status": "paid", "limit": 10})
        except stripe.StripeError as exc:
            logger.warning("Could not list the payments of Stripe invoice %s: %s",
                           invoice["id"], exc)
            return
        invoice["payments"] = {"object": "list",
                               "data": [item.to_dict() for item in listing.data]}

    def handles(self, event_type):
        return event_type in HANDLED_EVENTS

    def stored_payload(self, payload):
        return keep_fields(payload, STORED_EVENT_FIELDS)

    def facts(self, event_type, payload):
        obj = (payload.get("data") or {}).get("object") or {}
        handler = getattr(self, "_on_" + event_type.replace(".", "_"), None)
        return handler(obj) if handler else []

    def _on_checkout_session_completed(self, session):
        ref = session.get("client_reference_id") or (session.get("metadata") or {}).get(
            REFERENCE_KEY, "")
        email = unseal((session.get("customer_details") or {}).get("email") or "")
        customer = _id(session.get("customer"))
        if session.get("mode") == "subscription":
            subscription = _id(session.get("subscription"))
            return [Fact("activated", reference=ref, subscription_ref=subscription,
                         customer_ref=customer, email=email)]
        payment = _id(session.get("payment_intent")) or session.get("id", "")
        if session.get("payment_status") != "paid":
            # A delayed method (SEPA Direct Debit, Bacs…): async_payment_succeeded or
            # _failed follows, days later. Link the gift now: it has an event from here
            # on, so retention keeps it until Stripe says how it ended.
            return [Fact("processing", reference=ref, payment_ref=payment,
                         customer_ref=customer)]
        return [Fact("payment", reference=ref, payment_ref=payment, provider_ref=payment,
                     source_ref=payment, customer_ref=customer, email=email,
                     amount_minor=minor_units(session.get("amount_total")),
                     currency=(session.get("currency") or "").upper())]

    _on_checkout_session_async_payment_succeeded = _on_checkout_session_completed

    def _on_checkout_session_async_payment_failed(self, session):
        return [Fact("declined", reference=session.get("client_reference_id") or "")]

    def _on_checkout_session_expired(self, session):
        return [Fact("abandoned", reference=session.get("client_reference_id") or "")]

    @staticmethod
    def _invoice_subscription(invoice):
        """(subscription id, its metadata) in both the pre-2025 and the current invoice shape."""
        parent = (invoice.get("parent") or {}).get("subscription_details") or {}
        details = invoice.get("subscription_details") or {}
        subscription = _id(invoice.get("subscription")) or _id(parent.get("subscription"))
        metadata = parent.get("metadata") or details.get("metadata") or {}
        return subscription, metadata

    @staticmethod
    def _invoice_source(invoice):
        """The PaymentIntent (or, without one, the charge) that paid an invoice: from its
        paid InvoicePayments (current API); from the invoice itself in events of an
        endpoint still on an API version before 2025-03-31."""
        payments = (invoice.get("payments") or {}).get("data") or []
        if not isinstance(payments, list):
            raise InvalidEvent("an invoice's payments are not a list")
        for item in payments:
            if not isinstance(item, dict) or item.get("status") != "paid":
                continue
            payment = item.get("payment") or {}
            source = _id(payment.get("payment_intent")) or _id(payment.get("charge"))
            if source:
                return source
        return _id(invoice.get("payment_intent")) or _id(invoice.get("charge"))

    def _on_invoice_paid(self, invoice):
        amount = minor_units(invoice.get("amount_paid"))
        subscription, metadata = self._invoice_subscription(invoice)
        if not amount or not subscription:
            return []
        source = self._invoice_source(invoice)
        return [Fact("payment", reference=metadata.get(REFERENCE_KEY, ""),
                     subscription_ref=subscription, provider_ref=invoice.get("id", ""),
                     source_ref=source, customer_ref=_id(invoice.get("customer")),
                     amount_minor=amount, currency=(invoice.get("currency") or "").upper())]

    _on_invoice_payment_succeeded = _on_invoice_paid

    def _on_invoice_payment_failed(self, invoice):
        subscription, metadata = self._invoice_subscription(invoice)
        if not subscription:
            return []
        return [Fact("payment_failed", reference=metadata.get(REFERENCE_KEY, ""),
                     subscription_ref=subscription)]

    def _on_customer_subscription_updated(self, subscription):
        items = ((subscription.get("items") or {}).get("data") or [{}])
        item = items[0] if items else {}
        price = item.get("price") or item.get("plan") or subscription.get("plan") or {}
        amount = price.get("unit_amount")
        amount = minor_units(price.get("amount") if amount is None else amount)
        interval = (price.get("recurring") or {}).get("interval") or price.get("interval") or ""
        status = subscription.get("status", "")
        if not isinstance(status, str) or len(status) > 255:
            raise InvalidEvent("a status is not a short string")
        if status == "active" and subscription.get("pause_collection"):
            status = "paused"
        status = PLAN_STATUS.get(status, "")
        reference = (subscription.get("metadata") or {}).get(REFERENCE_KEY, "")
        return [Fact("status", reference=reference,
                     subscription_ref=subscription.get("id", ""), status=status,
                     amount_minor=amount, frequency=FREQUENCIES.get(interval, ""),
                     links={"subscription_ref": subscription.get("id", ""),
                            "customer_ref": _id(subscription.get("customer"))})]

    _on_customer_subscription_created = _on_customer_subscription_updated

    def _on_customer_subscription_deleted(self, subscription):
        return [Fact("canceled",
                     reference=(subscription.get("metadata") or {}).get(REFERENCE_KEY, ""),
                     subscription_ref=subscription.get("id", ""))]

    def _on_charge_refunded(self, charge):
        """The charge's running total refunded, recorded as the part the ledger lacks.

        Since API 2022-11-15 the event carries no `refunds` list, and the list, when
        present, may be cut to its first page: `amount_refunded` is the one figure that
        is always whole. Refunds of 300 then 200 record -300 and -200, in any order of
        delivery the total is right.
        """
        payment = _id(charge.get("payment_intent")) or charge.get("id", "")
        total = minor_units(charge.get("amount_refunded"))
        return [Fact("refund", reference=(charge.get("metadata") or {}).get(REFERENCE_KEY, ""),
                     payment_ref=payment, source_ref=payment,
                     customer_ref=_id(charge.get("customer")),
                     currency=(charge.get("currency") or "").upper(),
                     provider_ref=f"{charge.get('id')}:refunded:{total}",
                     amount_minor=total, cumulative=True)]

    def _dispute_fact(self, kind, dispute, provider_ref):
        payment = _id(dispute.get("payment_intent")) or _id(dispute.get("charge"))
        return Fact(kind, reference=(dispute.get("metadata") or {}).get(REFERENCE_KEY, ""),
                    payment_ref=payment, source_ref=payment, provider_ref=provider_ref,
                    amount_minor=minor_units(dispute.get("amount")),
                    currency=(dispute.get("currency") or "").upper())

    def _on_charge_dispute_created(self, dispute):
        return [self._dispute_fact("dispute", dispute, dispute.get("id", ""))]

    def _on_charge_dispute_closed(self, dispute):
        """Won: Stripe gave the disputed funds back. Lost: they stay taken (nothing to do)."""
        if dispute.get("status") != "won":
            return []
        return [self._dispute_fact("reinstated", dispute, f"{dispute.get('id', '')}:won")]
