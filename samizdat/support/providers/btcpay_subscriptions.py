"""Recurring gifts through BTCPay Server's own Subscriptions API, where the server has it.

BTCPay Server 2.3+ keeps plans itself: an *offering* (one for this site), *plans*
with a price and a period (one per pledge, so that a change of amount or
frequency is an update of its own plan, taken at the next renewal), and
*subscribers* (one per supporter's plan). The supporter starts on BTCPay's plan
checkout; BTCPay then tracks the periods, reminds the subscriber, moves the plan
to its grace phase and expires it, and says so in signed webhooks that drive the
pledge here exactly as any provider's events do (support/ledger.py):

- SubscriberCredited: money arrived (an invoice paid for the plan, or staff
  credited the subscriber by hand in BTCPay): one ledger payment, in the plan's
  currency. The invoices BTCPay makes for a plan carry `samizdat_subscription`,
  never `samizdat_reference`, so the invoice handler does not count them twice.
- PlanStarted: the plan is active (its first period, or a renewal).
- SubscriberPhaseChanged: Grace is past due; back to Normal is active again.
- SubscriberDisabled: expired after the grace period, or suspended (the supporter
  cancelled here, or staff suspended it in BTCPay): the plan ends.

Whether the server has the API is found out once (setting BTCPAY_SUBSCRIPTIONS,
"auto" by default: one GET of the store's offerings, its answer cached) and, where
it has not, plans stay reminder-based (support/btcpay_plans.py), unchanged.
"""

import logging
import re

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from .base import Fact, InvalidEvent, ProviderError
from .greenfield import GreenfieldError

__all__ = [
    "MODES",
    "SUBSCRIPTION_EVENTS",
    "SUBSCRIPTION_FIELDS",
    "Subscriptions",
    "is_subscription",
    "subscription_facts",
]

logger = logging.getLogger(__name__)

MODES = ("auto", "on", "off")
# The key in a subscriber's metadata (and the plan checkout's) naming our pledge.
REFERENCE_KEY = "samizdat_reference"
# The key in the metadata of the invoices BTCPay makes for a plan: deliberately not
# REFERENCE_KEY, so that BTCPayProvider's invoice events leave them alone.
INVOICE_KEY = "samizdat_subscription"
OFFERING_KEY = "samizdat"
OFFERING_NAME = "Samizdat support"
PLAN_KEY = "samizdat_plan"
SUBSCRIPTION_PREFIX = "btcpaysub-"
RECURRING_TYPES = {"monthly": "Monthly", "annual": "Yearly"}
# How long the answer of the probe is kept (seconds): an upgraded server is noticed
# within the hour, and a failed probe is not kept at all.
PROBE_TTL = 3600
# The offering's id, once found: a day, so one deleted in BTCPay is made again.
OFFERING_TTL = 86400
GRACE_DAYS = 7

SUBSCRIPTION_EVENTS = {
    "SubscriberCreated",
    "SubscriberCredited",
    "SubscriberCharged",
    "SubscriberActivated",
    "SubscriberPhaseChanged",
    "SubscriberDisabled",
    "PaymentReminder",
    "PlanStarted",
    "SubscriberNeedUpgrade",
}
# What of a subscription event is stored (providers/base.py keep_fields): no e-mail,
# no name, nothing of the customer but BTCPay's id for them.
SUBSCRIPTION_FIELDS = {
    "subscriber": {
        "customer": {"id": True},
        "offering": {"id": True},
        "plan": {"id": True, "price": True, "currency": True, "recurringType": True},
        "metadata": {REFERENCE_KEY: True},
        "phase": True,
        "periodEnd": True,
        "gracePeriodEnd": True,
        "isActive": True,
        "isSuspended": True,
        "autoRenew": True,
    },
    "amount": True,
    "total": True,
    "currency": True,
    "previousPhase": True,
    "currentPhase": True,
    "autoRenew": True,
}


def is_subscription(pledge):
    """Whether a pledge is a plan BTCPay keeps (its first event linked it so)."""
    return (pledge.subscription_ref or "").startswith(SUBSCRIPTION_PREFIX)


def mode(provider):
    value = (
        provider.options.get("SUBSCRIPTIONS")
        or getattr(settings, "BTCPAY_SUBSCRIPTIONS", "auto")
        or "auto"
    ).lower()
    if value not in MODES:
        raise ValueError(f"BTCPAY_SUBSCRIPTIONS must be one of {MODES}, not {value!r}")
    return value


def _path(api, *parts):
    return api._store_path(*parts)


class Subscriptions:
    """BTCPay's Subscriptions API for one provider (its URL, store and key)."""

    def __init__(self, provider):
        self.provider = provider
        self.api = provider.api

    def _cache_key(self, what):
        digest = re.sub(r"[^A-Za-z0-9]", "_", f"{self.api.base_url}-{self.api.store_id}")
        return f"btcpay-subscriptions:{what}:{self.provider.identifier}:{digest}"[:240]

    # Does the server have it? ------------------------------------------------
    def available(self):
        """True when plans should be BTCPay subscriptions: "on", or "auto" and the
        server answers the offerings route. A 404 (no such route: BTCPay before 2.3)
        or 403 (the key lacks btcpay.store.canviewofferings) is remembered for an
        hour; a server that does not answer is asked again at the next checkout."""
        chosen = mode(self.provider)
        if chosen != "auto":
            return chosen == "on"
        key = self._cache_key("probe")
        known = cache.get(key)
        if known is not None:
            return known
        try:
            self.api.call("GET", _path(self.api, "offerings"))
            answer = True
        except GreenfieldError as exc:
            if exc.status_code not in (401, 403, 404):
                logger.warning("BTCPay subscriptions probe: HTTP %s", exc.status_code)
                return False
            if exc.status_code in (401, 403):
                logger.warning(
                    "BTCPay's API key may not view offerings: plans stay reminder-based "
                    "(docs/payments.md lists the permissions subscriptions need)"
                )
            answer = False
        except ProviderError:
            logger.warning("BTCPay did not answer the subscriptions probe; reminder plan")
            return False
        cache.set(key, answer, PROBE_TTL)
        return answer

    # The offering and its plans ----------------------------------------------
    def offering_id(self):
        """This site's offering: the one named in OPTIONS (SUBSCRIPTIONS_OFFERING), or
        the store's offering marked as ours, or a new one."""
        configured = self.provider.options.get("SUBSCRIPTIONS_OFFERING") or getattr(
            settings, "BTCPAY_SUBSCRIPTIONS_OFFERING", ""
        )
        if configured:
            return configured
        key = self._cache_key("offering")
        known = cache.get(key)
        if known:
            return known
        for offering in self.api.call("GET", _path(self.api, "offerings")) or []:
            if (offering.get("metadata") or {}).get(OFFERING_KEY) == "support":
                found = offering["id"]
                break
        else:
            created = self.api.call(
                "POST",
                _path(self.api, "offerings"),
                {"appName": OFFERING_NAME, "metadata": {OFFERING_KEY: "support"}},
            )
            found = created["id"]
        cache.set(key, found, OFFERING_TTL)
        return found

    def plan(self, offering_id, subject):
        """The pledge's own plan in the offering (made once: a retried checkout finds it)."""
        price = _amount_text(subject)
        tag = subject.reference
        offering = self.api.call("GET", _path(self.api, "offerings", offering_id))
        for plan in offering.get("plans") or []:
            if (plan.get("metadata") or {}).get(PLAN_KEY) == tag and plan.get("status") != (
                "Retired"
            ):
                return plan
        return self.api.call(
            "POST",
            _path(self.api, "offerings", offering_id, "plans"),
            {
                **self._plan_terms(tag, price, subject.currency, subject.frequency),
                "currency": subject.currency,
                "gracePeriodDays": int(self.provider.options.get("GRACE_DAYS", GRACE_DAYS)),
                "renewable": True,
                "optimisticActivation": False,
            },
        )

    @staticmethod
    def _plan_terms(reference, price, currency, frequency):
        period = {"monthly": "monthly", "annual": "yearly"}[frequency]
        return {
            "name": f"{price} {currency} {period} ({reference})",
            "price": price,
            "recurringType": RECURRING_TYPES[frequency],
            "metadata": {PLAN_KEY: reference},
        }

    def change(self, pledge, amount_minor, frequency):
        """A new amount or frequency: the pledge's own plan is updated on BTCPay, which
        charges the new price from the next renewal on. Refused for a plan that is not
        the pledge's own (one staff moved the subscriber to)."""
        from ..money import minor_to_major

        subscriber = self.api.call("GET", self._subscriber_path(pledge))
        plan = subscriber.get("plan") or {}
        if (plan.get("metadata") or {}).get(PLAN_KEY) != pledge.reference:
            raise ProviderError(
                _("This plan is managed on BTCPay Server: change it on its subscriber page.")
            )
        price = str(minor_to_major(amount_minor, pledge.currency))
        return self.api.call(
            "PUT",
            _path(self.api, "offerings", self.offering_id(), "plans", plan["id"]),
            self._plan_terms(pledge.reference, price, pledge.currency, frequency),
        )

    # Checkout -----------------------------------------------------------------
    def begin_checkout(self, subject, urls):
        """A plan checkout on BTCPay for this pledge; returns where the reader goes.

        Raises PlanCurrencyMismatch when BTCPay priced the plan in another currency
        (it prices plans in the store's default currency), for the caller to fall
        back to a reminder plan."""
        offering_id = self.offering_id()
        plan = self.plan(offering_id, subject)
        if (plan.get("currency") or "").upper() != subject.currency.upper():
            raise PlanCurrencyMismatch(plan.get("currency"))
        checkout = self.api.call(
            "POST",
            "/api/v1/plan-checkout",
            {
                "storeId": self.api.store_id,
                "offeringId": offering_id,
                "planId": plan["id"],
                "successRedirectLink": urls.success,
                # Nothing personal: BTCPay's checkout asks the supporter for the
                # address it keeps its subscribers by.
                "newSubscriberMetadata": {REFERENCE_KEY: subject.reference},
                "invoiceMetadata": {INVOICE_KEY: subject.reference},
                "metadata": {REFERENCE_KEY: subject.reference},
            },
        )
        subject.checkout_ref = checkout["id"]
        return checkout.get("url") or checkout["redirectUrl"]

    # The supporter's own actions ------------------------------------------------
    def _subscriber_path(self, pledge, *parts):
        if not pledge.customer_ref:
            raise InvalidEvent("BTCPay has not told us this subscriber yet")
        return _path(
            self.api, "offerings", self.offering_id(), "subscribers", pledge.customer_ref, *parts
        )

    def suspend(self, pledge, reason=""):
        """End the plan on BTCPay: suspended, it renews no more; its SubscriberDisabled
        event ends the pledge here too."""
        text = "Cancelled by the supporter" + (f": {reason}" if reason else "")
        return self.api.call("POST", self._subscriber_path(pledge, "suspend"), {"reason": text})

    def portal_url(self, pledge):
        """A short-lived link to BTCPay's subscriber portal: pay the next period ahead,
        see the dates, switch to another plan of the offering."""
        session = self.api.call(
            "POST",
            "/api/v1/subscriber-portal",
            {
                "storeId": self.api.store_id,
                "offeringId": self.offering_id(),
                "customerSelector": pledge.customer_ref,
                "durationMinutes": 60,
            },
        )
        return session["url"]


class PlanCurrencyMismatch(ProviderError):
    """BTCPay prices plans in the store's default currency, not the gift's."""

    def __init__(self, currency):
        self.currency = currency
        super().__init__(_("This currency cannot be paid as a BTCPay subscription."))


def _amount_text(subject):
    from ..money import minor_to_major

    return str(minor_to_major(subject.amount_minor, subject.currency))


# Events ---------------------------------------------------------------------------
def _reference(payload):
    subscriber = payload.get("subscriber")
    metadata = subscriber.get("metadata") if isinstance(subscriber, dict) else None
    if not isinstance(metadata, dict) or not isinstance(metadata.get(REFERENCE_KEY), str):
        return None  # a subscriber of another offering of the store
    return metadata[REFERENCE_KEY][:64], subscriber


def subscription_facts(provider, event_type, payload, minor):
    """What a verified subscription event means; [] for a subscriber not of ours."""
    found = _reference(payload)
    if found is None:
        return []
    reference, subscriber = found
    customer = subscriber.get("customer") if isinstance(subscriber.get("customer"), dict) else {}
    common = {"reference": reference, "subscription_ref": SUBSCRIPTION_PREFIX + reference}
    links = {"subscription_ref": SUBSCRIPTION_PREFIX + reference}
    if isinstance(customer.get("id"), str):
        links["customer_ref"] = customer["id"][:255]
    if event_type == "SubscriberCredited":
        from decimal import Decimal, InvalidOperation

        try:
            amount = Decimal(str(payload.get("amount")))
        except InvalidOperation as exc:
            raise InvalidEvent("the credited amount is not a decimal") from exc
        currency = payload.get("currency")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
            raise InvalidEvent("the credited currency is not a currency")
        if not amount.is_finite() or amount <= 0:
            return []  # an adjustment down: BTCPay's own bookkeeping, no money in
        delivery = payload.get("originalDeliveryId") or payload.get("deliveryId")
        source = f"{SUBSCRIPTION_PREFIX}{reference}:{delivery}"[:255]
        return [
            Fact(
                "payment",
                **common,
                payment_ref=source,
                source_ref=source,
                provider_ref=source,
                amount_minor=minor(amount, currency.upper()),
                currency=currency.upper(),
                links=links,
            )
        ]
    if event_type == "PlanStarted":
        return [Fact("activated", **common, links=links), Fact("status", **common, status="active")]
    if event_type == "SubscriberPhaseChanged":
        phase = payload.get("currentPhase")
        if phase == "Grace":
            return [Fact("payment_failed", **common)]
        if phase == "Normal" and payload.get("previousPhase") in {"Grace", "Expired"}:
            return [Fact("status", **common, status="active")]
        return []
    if event_type == "SubscriberDisabled":
        return [Fact("canceled", **common)]
    # Created, charged (credit moved to the plan), reminded, activated, needs upgrade:
    # kept as a record; the money and the state move on the events above.
    return []
