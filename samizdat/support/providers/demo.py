"""The demo provider: a checkout page served by Samizdat itself, plainly a simulation.

The reader can pay, be declined or abandon. Each choice becomes an
HMAC-signed event handed to `webhooks.receive`, the function a real provider's
request to /support/webhooks/<alias>/ reaches (or, with DELIVERY "http",
posted to that URL), so the demo exercises the same verification, recording
and ledger code as Stripe. Staff and tests can simulate a renewal
or a failed renewal of a monthly or annual plan.
"""

import json
import time
import urllib.request
import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from . import signing
from .base import (
    Delivery,
    Fact,
    InvalidEvent,
    ParsedEvent,
    PaymentProvider,
    deliver_locally,
    event_id_and_type,
    event_time,
    minor_units,
    parse_event_body,
    provider_timeout,
)

__all__ = ["DemoProvider", "SIGNATURE_HEADER", "demo_payments_allowed", "refuse_in_production"]

SIGNATURE_HEADER = "Samizdat-Signature"

EVENT_TYPES = {
    "checkout.completed", "checkout.declined", "checkout.abandoned",
    "renewal.paid", "renewal.failed", "plan.canceled", "plan.changed",
    "plan.paused", "plan.resumed", "payment.refunded",
}


def demo_payments_allowed():
    """Outside production, or in the loopback benchmarks' Python settings module
    (bench/load_settings.py sets SAMIZDAT_LOOPBACK_BENCHMARK = True; no environment
    variable can set it, so no real install turns it on by accident)."""
    if not getattr(settings, "SAMIZDAT_PRODUCTION", False):
        return True
    return getattr(settings, "SAMIZDAT_LOOPBACK_BENCHMARK", False) is True


def refuse_in_production():
    """The demo marks any gift paid with a click: in production it does nothing at all,
    however it came to be configured (checks skipped, another entry point, an override).
    Startup refuses it first (samizdat_security.E016)."""
    if not demo_payments_allowed():
        raise ImproperlyConfigured(
            "samizdat_security.E016: the demo payment provider cannot run with "
            "SAMIZDAT_PRODUCTION=1; unset SAMIZDAT_DEMO_PAYMENTS and configure Stripe or "
            "offer bank transfer only.")


class DemoProvider(PaymentProvider):
    public_name = _("Card (demo)")
    supports_recurring = True
    supports_cancel = True
    supports_change = True
    supports_pause = True

    def is_configured(self):
        return demo_payments_allowed()  # never offered to readers in production

    @property
    def secret(self):
        configured = self.options.get("SECRET")
        if configured:
            return configured
        return salted_hmac("samizdat.support.demo", self.identifier).hexdigest()

    @property
    def max_failures(self):
        return int(self.options.get("MAX_FAILED_RENEWALS", 3))

    # Checkout ------------------------------------------------------------
    def begin_checkout(self, subject, urls):
        refuse_in_production()
        subject.checkout_ref = f"demo_cs_{uuid.uuid4().hex[:16]}"
        with translation.override(subject.language or settings.LANGUAGE_CODE):
            return reverse("support:demo_checkout", args=[subject.reference])

    def complete(self, subject):
        """The reader pressed "Pay" on the simulated checkout.

        A gift pays once, as at a real provider: the payment id and the event id
        come from the gift's reference, never from the click or from the checkout
        session (a retried start gives the same row a new session). A double
        click, two tabs, or a click in a tab opened before a retried start all
        deliver one event; the webhook applies it once, under the row lock."""
        data = self._base_data(subject)
        if subject.frequency == "once":
            data["payment_id"] = f"demo_pay_{subject.reference}"
        else:
            data["subscription_id"] = subject.subscription_ref or f"demo_sub_{subject.reference}"
            data["invoice_id"] = f"demo_in_{subject.reference}_first"
        return self.deliver("checkout.completed", data,
                            event_id=f"evt_demo_paid_{subject.reference}")

    def decline(self, subject):
        return self.deliver("checkout.declined", self._base_data(subject))

    def abandon(self, subject):
        return self.deliver("checkout.abandoned", self._base_data(subject))

    # Staff and test simulations of the plan's life ----------------------
    def simulate_renewal(self, pledge, fail=False):
        """A period passes: the plan renews, or the renewal fails (and after
        MAX_FAILED_RENEWALS failures in a row the provider gives up and cancels)."""
        data = self._base_data(pledge)
        data["subscription_id"] = pledge.subscription_ref
        if not fail:
            data["invoice_id"] = f"demo_in_{uuid.uuid4().hex[:16]}"
            return self.deliver("renewal.paid", data)
        status = self.deliver("renewal.failed", data)
        if self._failures_in_a_row(pledge) >= self.max_failures:
            self.deliver("plan.canceled", {**data, "reason": "payment_failed"})
        return status

    # A failed renewal: the simulated card page, then the payment again ---
    def payment_update_url(self, pledge, return_url):
        """The demo's stand-in for a provider's "update your card" page (ours, marked as a
        simulation); it sends the reader back to `return_url`."""
        refuse_in_production()
        from urllib.parse import urlencode

        with translation.override(pledge.language or settings.LANGUAGE_CODE):
            page = reverse("support:demo_card_update", args=[pledge.reference])
        return f"{page}?{urlencode({'next': return_url})}"

    def retry_failed_payment(self, pledge):
        """Collect the failed period again: a signed renewal.paid event, as a real
        provider's invoice.paid after a successful retry (the simulated card works)."""
        data = self._base_data(pledge)
        data.update(subscription_id=pledge.subscription_ref,
                    invoice_id=f"demo_in_{uuid.uuid4().hex[:16]}")
        self.deliver("renewal.paid", data)
        return True

    def refund(self, subject, amount_minor=None):
        entry = subject.ledger_entries.filter(kind="payment").order_by("occurred_at").first()
        if entry is None:
            return None
        data = self._base_data(subject)
        data.update(
            payment_id=entry.source_ref or entry.provider_ref,
            refund_id=f"demo_re_{uuid.uuid4().hex[:16]}",
            amount_minor=amount_minor or entry.amount_minor,
        )
        return self.deliver("payment.refunded", data)

    def _failures_in_a_row(self, pledge):
        count = 0
        for event in pledge.events.filter(outcome="applied").order_by("-occurred_at", "-id"):
            if event.type == "renewal.failed":
                count += 1
            elif event.type in {"renewal.paid", "checkout.completed"}:
                break
        return count

    # Recurring plan changes (the supporter or staff asked) -------------
    def cancel_recurring(self, pledge, reason=""):
        data = self._base_data(pledge)
        data.update(subscription_id=pledge.subscription_ref, reason=reason or "requested")
        return self.deliver("plan.canceled", data)

    def change_recurring(self, pledge, amount_minor=None, frequency=None):
        data = self._base_data(pledge)
        data.update(
            subscription_id=pledge.subscription_ref,
            amount_minor=amount_minor or pledge.amount_minor,
            frequency=frequency or pledge.frequency,
        )
        return self.deliver("plan.changed", data)

    def pause_recurring(self, pledge, resume=False):
        data = self._base_data(pledge)
        data["subscription_id"] = pledge.subscription_ref
        return self.deliver("plan.resumed" if resume else "plan.paused", data)

    # Events --------------------------------------------------------------
    def _base_data(self, subject):
        return {
            "reference": subject.reference,
            "amount_minor": subject.amount_minor,
            "currency": subject.currency,
            "frequency": subject.frequency,
        }

    def build_event(self, event_type, data, created=None, event_id=None):
        # Microseconds too, so that a renewal right after a failure sorts after it.
        created = time.time() if created is None else created
        return {
            "id": event_id or f"evt_demo_{uuid.uuid4().hex}",
            "type": event_type,
            "created": int(created),
            "created_us": int(created * 1_000_000),
            "data": data,
        }

    def signed(self, event):
        body = json.dumps(event, separators=(",", ":")).encode()
        return body, {SIGNATURE_HEADER: signing.sign(body, self.secret)}

    def deliver(self, event_type, data, event_id=None):
        """Sign an event and hand it to the webhook receiver, in this process or (DELIVERY
        "http") over HTTP as a real provider does; returns the HTTP status."""
        refuse_in_production()
        body, headers = self.signed(self.build_event(event_type, data, event_id=event_id))
        if self.options.get("DELIVERY") == "http":
            path = reverse("support_root:webhook", args=[self.identifier])
            request = urllib.request.Request(
                settings.SITE_URL + path, data=body, method="POST",
                headers={"Content-Type": "application/json", **headers},
            )
            timeout = provider_timeout()
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status
        return deliver_locally(self.identifier, Delivery(body, headers))

    def verify_event(self, request):
        if not demo_payments_allowed():
            raise InvalidEvent("the demo provider takes no events in production")
        body = request.body
        signing.verify(body, request.headers.get(SIGNATURE_HEADER), self.secret)
        payload = parse_event_body(body)
        event_id, event_type = event_id_and_type(payload)
        occurred_at = event_time(payload.get("created"))
        if "created_us" in payload:
            occurred_at = event_time(payload["created_us"], per_second=1_000_000)
        return ParsedEvent(id=event_id, type=event_type, payload=payload,
                           occurred_at=occurred_at)

    def handles(self, event_type):
        return event_type in EVENT_TYPES

    def facts(self, event_type, payload):
        data = payload.get("data") or {}
        ref = data.get("reference", "")
        sub = data.get("subscription_id", "")
        amount = minor_units(data.get("amount_minor"))
        currency = data.get("currency", "")
        if event_type == "checkout.completed":
            if data.get("frequency") == "once":
                payment = data.get("payment_id", "")
                return [Fact("payment", reference=ref, payment_ref=payment, provider_ref=payment,
                             source_ref=payment, amount_minor=amount, currency=currency)]
            return [
                Fact("activated", reference=ref, subscription_ref=sub),
                Fact("payment", reference=ref, subscription_ref=sub,
                     provider_ref=data.get("invoice_id", ""), amount_minor=amount,
                     currency=currency),
            ]
        if event_type == "checkout.declined":
            return [Fact("declined", reference=ref)]
        if event_type == "checkout.abandoned":
            return [Fact("abandoned", reference=ref)]
        if event_type == "renewal.paid":
            return [Fact("payment", reference=ref, subscription_ref=sub,
                         provider_ref=data.get("invoice_id", ""), amount_minor=amount,
                         currency=currency)]
        if event_type == "renewal.failed":
            return [Fact("payment_failed", reference=ref, subscription_ref=sub)]
        if event_type == "plan.canceled":
            return [Fact("canceled", reference=ref, subscription_ref=sub)]
        if event_type == "plan.changed":
            return [Fact("changed", reference=ref, subscription_ref=sub, amount_minor=amount,
                         frequency=data.get("frequency", ""))]
        if event_type in {"plan.paused", "plan.resumed"}:
            status = "paused" if event_type == "plan.paused" else "active"
            return [Fact("status", reference=ref, subscription_ref=sub, status=status)]
        if event_type == "payment.refunded":
            return [Fact("refund", reference=ref, source_ref=data.get("payment_id", ""),
                         provider_ref=data.get("refund_id", ""), amount_minor=amount,
                         currency=currency)]
        return []
