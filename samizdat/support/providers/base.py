"""The payment provider interface, and the registry that builds providers from settings.

A provider is a small class with safe defaults, in the spirit of pretix's
BasePaymentProvider but with its split kept and its size not:

- `begin_checkout` prepares a checkout and returns the URL to send the
  reader to. It never moves money.
- `verify_event` checks a delivery's signature and parses it; anything
  unverified raises InvalidEvent and is answered 400.
- `facts` turns a verified event's payload into provider-neutral Facts
  (support/facts.py), in the neutral vocabulary: a provider maps its own words
  (Stripe's "trialing", "unpaid") to those. They are stored with the event when
  it is recorded; support/webhooks.py applies them to the ledger under a row
  lock. Providers never write money state themselves.
- `cancel_recurring` / `change_recurring` / `pause_recurring` ask the
  provider to change a plan; the provider's own event then changes our state.

Providers are configured like CACHES (SAMIZDAT_PAYMENT_PROVIDERS), one alias
per entry: {"stripe": {"BACKEND": "samizdat.support.providers.stripe.StripeProvider",
"OPTIONS": {...}}}. The alias is the provider's identifier, used in webhook
URLs and stored on every contribution.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.datastructures import CaseInsensitiveMapping
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from ..facts import Fact, InvalidEvent, check_facts, dump_error, dump_facts

__all__ = [
    "CheckoutUrls",
    "Delivery",
    "Fact",
    "InvalidEvent",
    "Movement",
    "ParsedEvent",
    "PaymentProvider",
    "ProviderError",
    "ProviderTimeout",
    "all_providers",
    "check_facts",
    "connect_local_receiver",
    "deliver_locally",
    "event_id_and_type",
    "event_time",
    "get_provider",
    "keep_fields",
    "minor_units",
    "normalised_facts",
    "parse_event_body",
    "provider_timeout",
]

MAX_JSON_DEPTH = 64
# What reading facts out of an event that is not what it claims can raise.
MALFORMED = (InvalidEvent, AttributeError, TypeError, ValueError, KeyError, IndexError)


class ProviderError(Exception):
    """The provider refused or could not be reached; `message` is safe to show a reader,
    `status` is the HTTP status of the page that shows it (with Retry-After)."""

    status = 503
    retry_after = 30

    def __init__(self, message=None):
        self.message = message or self.default_message()
        super().__init__(str(self.message))

    def default_message(self):
        return _("The payment service could not be reached. Nothing was charged; "
                 "please try again.")


class ProviderTimeout(ProviderError):
    """The provider did not answer within SAMIZDAT_PROVIDER_TIMEOUT seconds."""

    status = 504
    retry_after = 60

    def default_message(self):
        return _("The payment service is slow to answer right now. Nothing was charged; "
                 "please try again in a minute.")


def _no_constants(name):
    raise ValueError(f"{name} is not allowed in an event")


def parse_event_body(body):
    """A verified delivery's body as a JSON object, or InvalidEvent: not UTF-8, not JSON,
    NaN or Infinity, not an object, nested deeper than any provider nests, or strings a
    database cannot store (NUL, unpaired surrogates)."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes | bytearray) else body
        payload = json.loads(text, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise InvalidEvent("malformed event") from exc
    if not isinstance(payload, dict):
        raise InvalidEvent("an event is a JSON object")
    stack = [(payload, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidEvent("event nested too deep")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            if "\x00" in value:
                raise InvalidEvent("NUL in an event")
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InvalidEvent("unpaired surrogate in an event") from exc
    return payload


def event_id_and_type(payload):
    """The event's id and type, which must be short non-empty strings."""
    event_id, event_type = payload.get("id"), payload.get("type")
    if not (isinstance(event_id, str) and 0 < len(event_id) <= 255):
        raise InvalidEvent("bad event id")
    if not (isinstance(event_type, str) and 0 < len(event_type) <= 100):
        raise InvalidEvent("bad event type")
    return event_id, event_type


def event_time(value, per_second=1):
    """An integer timestamp (seconds, or `per_second` fractions of one) as an aware datetime."""
    if type(value) is not int:
        raise InvalidEvent("the event time is not an integer")
    try:
        return datetime.fromtimestamp(value / per_second, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise InvalidEvent("the event time is out of range") from exc


def minor_units(value):
    """An amount field of an event: absent is 0; anything but an integer is malformed
    (a string, a float, a boolean); its range is checked by check_facts."""
    if value is None:
        return 0
    if type(value) is not int:
        raise InvalidEvent("an amount is not an integer")
    return value


SCALARS = (str, int, float, bool, type(None))


def keep_fields(data, spec):
    """A copy of `data` with only the fields `spec` names: the allowlist of what the ledger
    reads from a provider's event, so nothing else the provider sends (invoice links, tax
    ids, free-text comments) is ever stored.

    spec: {name: True | {…} | [{…}]}. True keeps a plain value, or only the id of an
    expanded object; a dict keeps those fields of an object; [spec] does so for each item
    of a list.
    """
    if isinstance(spec, list):
        return [keep_fields(item, spec[0]) for item in data] if isinstance(data, list) else None
    if isinstance(spec, dict):
        if not isinstance(data, dict):
            return None
        return {key: keep_fields(data[key], rule) for key, rule in spec.items() if key in data}
    if isinstance(data, dict):
        return {"id": data["id"]} if isinstance(data.get("id"), str) else None
    return data if isinstance(data, SCALARS) else None


def provider_timeout():
    """Seconds to wait for a provider's API before telling the reader it did not answer."""
    return float(getattr(settings, "SAMIZDAT_PROVIDER_TIMEOUT", 10))


@dataclass(frozen=True)
class CheckoutUrls:
    """Where the provider sends the reader back to (absolute URLs)."""

    success: str
    cancel: str


class Delivery:
    """A delivery as `verify_event` reads it, whether it came over HTTP or from this site:
    the body and the headers (looked up in any letter case, as on a request)."""

    def __init__(self, body, headers):
        self.body = body
        self.headers = CaseInsensitiveMapping(headers)


@dataclass(frozen=True)
class ParsedEvent:
    id: str
    type: str
    payload: dict
    occurred_at: datetime


@dataclass(frozen=True)
class Movement:
    """One movement of money as a provider's own records show it, for reconciliation.

    kind: a ledger kind ("payment", "refund", "dispute", "reinstated"); amount_minor is
    signed as in the ledger. `keys` are the provider ids a ledger entry of that kind may
    carry as its provider_ref or source_ref; every entry that carries one is compared
    (so a Stripe charge's refunds are compared as one total).
    """

    kind: str
    keys: frozenset
    amount_minor: int
    currency: str
    label: str


class PaymentProvider:
    """Base class: override what the provider can do; the defaults refuse safely."""

    public_name = _("Payment")
    supports_once = True
    supports_recurring = False
    supports_cancel = False
    supports_change = False
    supports_pause = False
    # The provider collects a plan's payments by itself each period (a card). False for
    # a plan the supporter pays each period (BTCPay): the funding goal counts only what
    # such a plan has paid, never what it promises (support/goal.py).
    collects_recurring = True
    # Money arrives outside any webhook (staff confirm it): no provider events.
    manual = False
    # Money may arrive days after the checkout with no event before it (a bank
    # transfer): retention keeps its pending gifts for SAMIZDAT_DELAYED_PENDING_DAYS.
    delayed = False
    # What paying this way reveals, for the risk advice (support/advice.py): "card",
    # "bank_transfer", "crypto", or "" to be known by the provider's name.
    method_kind = ""

    def __init__(self, alias, options=None):
        self.identifier = alias
        self.options = options or {}

    def __repr__(self):
        return f"<{type(self).__name__} {self.identifier}>"

    def supports(self, frequency):
        return self.supports_once if frequency == "once" else self.supports_recurring

    def is_configured(self):
        return True

    def can_complete(self, options):
        """Whether a reader choosing this method can finish paying, given the
        newsroom's published `options` (ContributionSettings). Methods that
        cannot are not offered at all."""
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

    def list_movements(self, since):
        """The provider's own record of the money that moved since `since` (a datetime),
        as Movements; None means the provider keeps none apart from the events it sent
        us, and those are compared instead (support/reconcile.py)."""
        return None

    def stored_payload(self, payload):
        """What of a verified event's payload is stored: by default all of it (an event
        this site made itself). A provider whose events carry more than the ledger needs
        overrides this with an allowlist (see keep_fields)."""
        return payload

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


def normalised_facts(alias, event_type, payload):
    """What is stored with an event: its facts in neutral words, read once by its provider
    (support/facts.py), or why they could not be read."""
    try:
        provider = get_provider(alias)
    except KeyError:
        return dump_error(f"provider {alias!r} is not configured")
    try:
        return dump_facts(check_facts(provider.facts(event_type, payload)))
    except MALFORMED as exc:
        # The exception's type only: its text could quote a personal value of the payload.
        return dump_error(exc if isinstance(exc, InvalidEvent) else type(exc).__name__)


_local_receivers = []


def connect_local_receiver(receive):
    """Where deliveries this site makes itself go: support/webhooks.py's `receive`, the
    function a provider's HTTP request reaches too. Connected by the app's ready()
    (providers sit below webhooks in the import order and never import it)."""
    _local_receivers[:] = [receive]


def deliver_locally(alias, delivery):
    """Hand a delivery to `receive` in this process; returns the HTTP status it answers."""
    if not _local_receivers:
        raise ImproperlyConfigured("no local receiver: is samizdat.support installed?")
    status, _text = _local_receivers[0](alias, delivery)
    return status


def _reset(**kwargs):
    if kwargs.get("setting") == "SAMIZDAT_PAYMENT_PROVIDERS":
        _build.cache_clear()


def _connect_reset():
    from django.test.signals import setting_changed

    setting_changed.connect(_reset, dispatch_uid="support_providers_reset")


_connect_reset()
