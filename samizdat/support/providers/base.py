"""The payment provider interface, and the registry that builds providers from settings.

A provider is a small class with safe defaults, in the spirit of pretix's
BasePaymentProvider but with its split kept and its size not:

- `begin_checkout` prepares a checkout and returns the URL to send the
  reader to. It never moves money.
- `verify_event` checks a delivery's signature and parses it; anything
  unverified raises InvalidEvent and is answered 400.
- `facts` turns a verified event's payload into provider-neutral Facts, which
  support/webhooks.py applies to the ledger under a row lock. Providers never
  write money state themselves.
- `cancel_recurring` / `change_recurring` / `pause_recurring` ask the
  provider to change a plan; the provider's own event then changes our state.

Providers are configured like CACHES (SAMIZDAT_PAYMENT_PROVIDERS), one alias
per entry: {"stripe": {"BACKEND": "samizdat.support.providers.stripe.StripeProvider",
"OPTIONS": {...}}}. The alias is the provider's identifier, used in webhook
URLs and stored on every contribution.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CheckoutUrls",
    "Fact",
    "InvalidEvent",
    "ParsedEvent",
    "PaymentProvider",
    "ProviderError",
    "all_providers",
    "get_provider",
    "provider_timeout",
]


class InvalidEvent(Exception):
    """A delivery that failed verification or parsing: answered 400, nothing stored."""


class ProviderError(Exception):
    """The provider refused or could not be reached; `message` is safe to show a reader."""

    def __init__(self, message=None):
        self.message = message or _(
            "The payment service could not be reached. Nothing was charged; please try again."
        )
        super().__init__(str(self.message))


def provider_timeout():
    """Seconds to wait for a provider's API before telling the reader it did not answer."""
    return float(getattr(settings, "SAMIZDAT_PROVIDER_TIMEOUT", 10))


@dataclass(frozen=True)
class CheckoutUrls:
    """Where the provider sends the reader back to (absolute URLs)."""

    success: str
    cancel: str


@dataclass(frozen=True)
class ParsedEvent:
    id: str
    type: str
    payload: dict
    occurred_at: datetime


@dataclass(frozen=True)
class Fact:
    """One provider-neutral consequence of an event.

    kind: "activated" | "payment" | "payment_failed" | "refund" | "dispute" | "fee"
          | "declined" | "abandoned" | "status" | "canceled" | "changed"
    The target is found by the first key that matches: our `reference`, then
    the provider's subscription, payment or customer reference, then a
    `source_ref` already on a ledger payment (refunds and disputes).
    """

    kind: str
    reference: str = ""
    subscription_ref: str = ""
    payment_ref: str = ""
    customer_ref: str = ""
    source_ref: str = ""
    amount_minor: int = 0
    currency: str = ""
    provider_ref: str = ""
    status: str = ""
    frequency: str = ""
    email: str = ""
    links: dict = field(default_factory=dict)


class PaymentProvider:
    """Base class: override what the provider can do; the defaults refuse safely."""

    public_name = _("Payment")
    supports_once = True
    supports_recurring = False
    supports_cancel = False
    supports_change = False
    supports_pause = False
    # Money arrives outside any webhook (staff confirm it): no provider events.
    manual = False

    def __init__(self, alias, options=None):
        self.identifier = alias
        self.options = options or {}

    def __repr__(self):
        return f"<{type(self).__name__} {self.identifier}>"

    def supports(self, frequency):
        return self.supports_once if frequency == "once" else self.supports_recurring

    def is_configured(self):
        return True

    # Checkout ------------------------------------------------------------
    def begin_checkout(self, subject, urls):
        """Prepare the provider's checkout for a pending Contribution or Pledge.

        Returns the URL to redirect the reader to. Must not move money.
        May set provider references on `subject` (the caller saves it).
        """
        raise NotImplementedError

    # Events --------------------------------------------------------------
    def verify_event(self, request):
        """Check the signature of a delivery (an object with .body and .headers)."""
        raise InvalidEvent("This provider sends no events.")

    def facts(self, event_type, payload):
        """What a verified event means, as a list of Facts ([] = nothing to do)."""
        return []

    def handles(self, event_type):
        return False

    def apply(self, record):
        """Apply a stored ProviderEvent through the ledger (idempotent)."""
        from ..webhooks import apply_event

        return apply_event(record)

    # Recurring plans -----------------------------------------------------
    def cancel_recurring(self, pledge, reason=""):
        raise NotImplementedError

    def change_recurring(self, pledge, amount_minor=None, frequency=None):
        raise NotImplementedError

    def pause_recurring(self, pledge, resume=False):
        raise NotImplementedError


@cache
def _build(alias):
    config = settings.SAMIZDAT_PAYMENT_PROVIDERS.get(alias)
    if config is None:
        raise KeyError(alias)
    try:
        backend = import_string(config["BACKEND"])
    except (ImportError, KeyError) as exc:
        raise ImproperlyConfigured(f"Payment provider {alias!r}: bad BACKEND") from exc
    return backend(alias, config.get("OPTIONS", {}))


def get_provider(alias):
    """The provider for an alias, or KeyError if it is not configured."""
    if not isinstance(alias, str) or alias not in settings.SAMIZDAT_PAYMENT_PROVIDERS:
        raise KeyError(alias)
    return _build(alias)


def all_providers():
    return [get_provider(alias) for alias in settings.SAMIZDAT_PAYMENT_PROVIDERS]


def _reset(**kwargs):
    if kwargs.get("setting") == "SAMIZDAT_PAYMENT_PROVIDERS":
        _build.cache_clear()


def _connect_reset():
    from django.test.signals import setting_changed

    setting_changed.connect(_reset, dispatch_uid="support_providers_reset")


_connect_reset()
