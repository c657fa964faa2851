"""Provider-neutral facts: what a provider's event means, in words every provider maps to.

A provider turns its own event into Facts once, when the event is recorded;
they are stored with the event (`ProviderEvent.facts`, versioned) and every
later step (applying, deriving state, reconciling) reads them from there, never
the raw payload through today's provider code. An event whose facts could not be
read keeps the reason instead, so it is seen (check_ledger), not taken for an
event that means nothing.

The payer's address is not stored with the facts: it stays sealed in the payload,
where retention erases it and key rotation re-encrypts it.
"""

import logging
from dataclasses import asdict, dataclass, field, fields

__all__ = [
    "FACTS_VERSION",
    "KINDS",
    "MONEY_FACTS",
    "PLAN_STATUSES",
    "Fact",
    "InvalidEvent",
    "UnreadableFacts",
    "check_facts",
    "dump_error",
    "dump_facts",
    "load_facts",
    "readable_facts",
]

logger = logging.getLogger(__name__)

FACTS_VERSION = 1
# More than any real gift in minor units (ten billion dollars); a bigger one is malformed.
MAX_AMOUNT_MINOR = 10**12
MONEY_FACTS = {"payment", "refund", "dispute", "reinstated", "fee"}
KINDS = MONEY_FACTS | {"activated", "payment_failed", "declined", "abandoned", "status",
                       "canceled", "changed", "processing"}
# The words a "status" fact uses for a plan, whatever the provider calls them.
PLAN_STATUSES = ("pending", "active", "past_due", "paused", "canceled")
# Kept by the event's payload only (sealed there), never stored with the facts.
NOT_STORED = {"email"}


class InvalidEvent(Exception):
    """A delivery that failed verification or parsing: answered 400, nothing stored."""


class UnreadableFacts(Exception):
    """A stored event whose facts are missing or could not be read when it was recorded."""


@dataclass(frozen=True)
class Fact:
    """One provider-neutral consequence of an event.

    kind: "activated" | "payment" | "payment_failed" | "refund" | "dispute" | "reinstated"
          | "fee" | "declined" | "abandoned" | "status" | "canceled" | "changed"
          | "processing" (a delayed payment announced, its money not arrived yet)
    status: for a "status" fact, one of PLAN_STATUSES, or "" for a state the provider
    has that no plan here has (the amount and frequency still count).
    cumulative: the amount is a running total for the payment `source_ref` (Stripe's
    `amount_refunded`); the ledger records only the part it does not hold yet.
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
    cumulative: bool = False


def check_facts(facts):
    """Refuse facts no real event yields: references that are not short strings, an amount
    out of range, a money fact without an amount or with a currency that does not exist."""
    from .money import is_known_currency

    for fact in facts:
        texts = [getattr(fact, name) for name in (
            "reference", "subscription_ref", "payment_ref", "customer_ref", "source_ref",
            "provider_ref", "status", "frequency", "email", "currency")]
        if not isinstance(fact.links, dict):
            raise InvalidEvent("bad links")
        for value in texts + list(fact.links.values()):
            if not isinstance(value, str) or len(value) > 255:
                raise InvalidEvent("a reference is not a short string")
        if type(fact.amount_minor) is not int or not 0 <= fact.amount_minor <= MAX_AMOUNT_MINOR:
            raise InvalidEvent("amount out of range")
        if fact.kind in MONEY_FACTS:
            if not fact.amount_minor or not fact.currency:
                raise InvalidEvent("a payment without an amount or a currency")
            if not is_known_currency(fact.currency.upper()):
                raise InvalidEvent("unknown currency")
        if len(fact.email) > 254:
            raise InvalidEvent("e-mail too long")
    return facts


_DEFAULTS = {f.name: (f.default_factory() if callable(f.default_factory) else f.default)
             for f in fields(Fact)}


def dump_facts(facts):
    """The JSON stored with an event: its facts, without defaults or the payer's address."""
    rows = []
    for fact in facts:
        rows.append({name: value for name, value in asdict(fact).items()
                     if name == "kind"
                     or (name not in NOT_STORED and value != _DEFAULTS[name])})
    return {"version": FACTS_VERSION, "facts": rows}


def dump_error(reason):
    """The JSON stored with an event whose facts could not be read: why."""
    return {"version": FACTS_VERSION, "error": str(reason)[:500]}


def load_facts(stored):
    """The Facts stored with an event; UnreadableFacts if there are none to read (never
    normalised, or normalising failed) or they are of a version this code does not know."""
    if not isinstance(stored, dict):
        raise UnreadableFacts("no facts stored")
    if stored.get("version") != FACTS_VERSION:
        raise UnreadableFacts(f"facts of unknown version {stored.get('version')!r}")
    if "error" in stored:
        raise UnreadableFacts(stored["error"])
    try:
        return [Fact(**row) for row in stored["facts"]]
    except (KeyError, TypeError) as exc:
        raise UnreadableFacts(f"stored facts malformed: {exc}") from exc


def readable_facts(record):
    """The facts stored with an event, or none if they cannot be read: logged, and listed
    by check_ledger, so the event is seen rather than taken for one that means nothing."""
    try:
        return load_facts(record.facts)
    except UnreadableFacts as exc:
        logger.warning("%s event %s: its facts cannot be read (%s); it counts for nothing",
                       record.provider, record.event_id, exc)
        return []
