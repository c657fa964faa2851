"""Receive provider events: verify, record once by id, apply idempotently under a lock.

An event's facts are read by its provider once, before it is stored, and kept
with it (support/facts.py); applying reads those, never the payload again.
Recording and applying are separate transactions: an event that cannot be
applied yet (a renewal that arrives before the checkout that created its
plan) is kept as "waiting" and applied when its plan or gift appears.
Applying locks the contribution or pledge row (SELECT ... FOR UPDATE) and
returns early if the event was already applied, so duplicate or concurrent
deliveries write the ledger once.
"""

import logging
import time

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from . import ledger
from .crypto import UNREADABLE_HELP, DonorKeyError, UnreadableEmail, seal_personal_data
from .facts import dump_facts, readable_facts
from .models import Contribution, LedgerEntry, Pledge, ProviderEvent, Supporter
from .providers.base import (
    MALFORMED,
    InvalidEvent,
    ProviderError,
    check_facts,
    get_provider,
    normalised_facts,
)

__all__ = ["apply_event", "apply_waiting", "link_supporter", "money_arrived", "receive",
           "record_event", "resolve_subject"]

logger = logging.getLogger(__name__)


def _locked(manager):
    """The manager whose reads take the row lock (SELECT ... FOR UPDATE): what makes
    duplicate or concurrent deliveries write the ledger once."""
    return manager.select_for_update()


def receive(alias, delivery):
    """Verify and record a delivery, then apply it. Returns (http_status, message)."""
    try:
        provider = get_provider(alias)
    except KeyError:
        return 404, "unknown provider"
    try:
        parsed = provider.verify_event(delivery)
    except InvalidEvent as exc:
        return 400, f"invalid event: {exc}"
    except ProviderError:
        # Verifying needed the provider's API (BTCPay: what arrived on the invoice) and
        # it did not answer: nothing is stored, and the provider redelivers on a 5xx.
        return 503, "provider unreachable, retry later"
    if not provider.handles(parsed.type):
        return 200, "ignored"
    try:
        facts = dump_facts(check_facts(provider.facts(parsed.type, parsed.payload)))
    except MALFORMED as exc:
        # Signed, but nothing a provider sends: refused before anything is stored.
        return 400, f"invalid event: {exc if isinstance(exc, InvalidEvent) else 'malformed'}"
    for attempt in range(5):
        try:
            record, created = record_event(alias, parsed, facts)
            if record.applied_at is None:
                apply_event(record)
            elif record.outcome == ProviderEvent.Outcome.APPLIED:
                # The first delivery may have died between its commit and its sweep.
                _retry_waiting(alias, _subject_keys(record))
            return 200, "ok" if created else "duplicate"
        except OperationalError as exc:
            # SQLite can report a busy database at once instead of waiting. Try
            # again briefly, then ask the provider to redeliver (it will: the
            # event id makes the redelivery harmless).
            if "locked" not in str(exc):
                raise
            logger.info("database busy applying %s %s (attempt %d)", alias, parsed.id, attempt)
            time.sleep(0.05 * 2**attempt)
    return 503, "busy, retry later"


def record_event(alias, parsed, facts=None):
    """Store a verified event once per (provider, id); returns (record, created).

    Its facts are stored with it, read once by its provider (`facts`, when the caller
    has read them already); only the provider's allowlisted fields of the payload are
    kept, and personal values among them are sealed (support/crypto.py)."""
    if facts is None:
        facts = normalised_facts(alias, parsed.type, parsed.payload)
    payload = seal_personal_data(get_provider(alias).stored_payload(parsed.payload))
    try:
        with transaction.atomic():
            record = ProviderEvent.objects.create(
                provider=alias, event_id=parsed.id, type=parsed.type,
                payload=payload, facts=facts, occurred_at=parsed.occurred_at,
            )
            return record, True
    except IntegrityError:
        return ProviderEvent.objects.get(provider=alias, event_id=parsed.id), False


# Which provider reference identifies which kind of subject, most specific first.
SUBJECT_LOOKUPS = (
    ("reference", (Contribution, Pledge)),
    ("subscription_ref", (Pledge,)),
    ("payment_ref", (Contribution,)),
)


def resolve_subject(alias, facts):
    """The Contribution or Pledge the facts are about, or None if it is not known yet."""
    for fact in facts:
        for field, models in SUBJECT_LOOKUPS:
            value = getattr(fact, field)
            if not value:
                continue
            for model in models:
                subject = model.objects.filter(provider=alias, **{field: value}).first()
                if subject:
                    return subject
        if fact.source_ref:
            entry = LedgerEntry.objects.filter(
                provider=alias, kind="payment", source_ref=fact.source_ref
            ).first() or LedgerEntry.objects.filter(
                provider=alias, kind="payment", provider_ref=fact.source_ref
            ).first()
            if entry:
                return entry.subject
        if fact.customer_ref:
            pledges = list(
                Pledge.objects.filter(provider=alias, customer_ref=fact.customer_ref)[:2]
            )
            if len(pledges) == 1:
                return pledges[0]
    return None


def apply_event(record, *, retry_waiting=True):
    """Apply a recorded event once. Returns the outcome stored on the record."""
    outcome, keys = _apply(record)
    if retry_waiting and keys:
        _retry_waiting(record.provider, keys)
    return outcome


def _apply(record):
    """(outcome, keys): the provider ids this application linked or paid under, by which
    events waiting for this subject can now find it."""
    facts = readable_facts(record)
    if not facts:
        ProviderEvent.objects.filter(pk=record.pk).update(outcome=ProviderEvent.Outcome.IGNORED)
        return ProviderEvent.Outcome.IGNORED, set()
    subject = resolve_subject(record.provider, facts)
    if subject is None:
        ProviderEvent.objects.filter(pk=record.pk, applied_at__isnull=True).update(
            outcome=ProviderEvent.Outcome.WAITING
        )
        # The subject's own event may have been applied, and have swept the waiting
        # events, between the lookup and that update: look once more, now that any
        # later sweep will see this one waiting.
        subject = resolve_subject(record.provider, facts)
        if subject is None:
            return ProviderEvent.Outcome.WAITING, set()
    with transaction.atomic():
        subject = _locked(type(subject).objects).get(pk=subject.pk)
        event = ProviderEvent.objects.get(pk=record.pk)
        if event.applied_at is not None:
            return event.outcome, set()
        linked = _link_references(subject, facts)
        new_entries = ledger.append_facts(subject, event, facts)
        event.applied_at = timezone.now()
        event.outcome = ProviderEvent.Outcome.APPLIED
        subject.attach(event)
        event.save(update_fields=["applied_at", "outcome", "pledge", "contribution"])
        ledger.refresh_state(subject, new_entries)
        link_supporter(subject, event)
    keys = {getattr(subject, name) for name in linked}
    for entry in new_entries:
        if entry.kind == "payment":
            keys |= {entry.source_ref, entry.provider_ref}
    return ProviderEvent.Outcome.APPLIED, keys - {""}


# Facts whose provider ids belong to the subject: a payment, a plan's start, and a
# delayed payment announced but not arrived yet (Stripe's SEPA "processing").
LINKING_FACTS = {"activated", "payment", "processing"}


def _link_references(subject, facts):
    """Remember the provider's ids (subscription, payment, customer); returns the names
    of the fields that changed."""
    changed = []
    for fact in facts:
        for name in ("subscription_ref", "payment_ref", "customer_ref"):
            value = getattr(fact, name) if fact.kind in LINKING_FACTS else ""
            value = fact.links.get(name, value)
            if value and hasattr(subject, name) and not getattr(subject, name):
                setattr(subject, name, value)
                changed.append(name)
    if changed:
        subject.save(update_fields=sorted(set(changed)))
    return set(changed)


def money_arrived(subject):
    """A verified payment is recorded for the gift or plan, or the provider started the
    plan: only then is the address given at checkout a supporter's (a plan that never
    started, a declined or abandoned checkout, leaves it where it is)."""
    if subject.has_started():
        return True
    return subject.ledger_entries.filter(kind=LedgerEntry.Kind.PAYMENT).exists()


def payer_email(record):
    """The payer's address the provider reported in an event. It is read from the payload,
    where it stays sealed (retention erases it there, key rotation re-encrypts it), and
    is never stored with the facts."""
    try:
        facts = get_provider(record.provider).facts(record.type, record.payload)
    except (KeyError, *MALFORMED):
        return ""
    return next((fact.email for fact in facts if fact.email), "")


def link_supporter(subject, event=None):
    """Once money arrived, make the address a supporter's: the one typed at checkout, or
    else the payer's address the provider reports in `event`. Called under the subject's
    row lock, in the payment's transaction (the receipt, sent after commit, finds it)."""
    if subject.supporter_id is not None or not money_arrived(subject):
        return None
    typed = subject.checkout_email
    if isinstance(typed, UnreadableEmail):
        # No key reads the typed address: the payer's address from the provider, if it
        # gave one, is used instead; else the token stays for a restored key.
        logger.error("%s %s: the address given at checkout cannot be read: %s",
                     type(subject).__name__, subject.reference, UNREADABLE_HELP)
        typed = ""
    email = (typed or (payer_email(event) if event is not None else "") or "").strip()
    if not email or isinstance(email, UnreadableEmail):
        return None
    try:
        subject.supporter = Supporter.objects.for_email(email)
    except DonorKeyError as exc:
        # The money is recorded all the same; only the address is not kept.
        logger.error("%s %s: the payer's address is not stored: %s",
                     type(subject).__name__, subject.reference, exc)
        return None
    subject.checkout_email = ""
    subject.save(update_fields=["supporter", "checkout_email", "checkout_email_index"])
    return subject.supporter


def _fact_keys(facts):
    """The provider ids a waiting event's facts would find their subject by (see
    resolve_subject: our reference never appears later, so it is not among them)."""
    keys = set()
    for fact in facts:
        keys |= {fact.subscription_ref, fact.payment_ref, fact.source_ref, fact.customer_ref}
    return keys - {""}


def _subject_keys(record):
    """The provider ids of an applied event's contribution or pledge, by which events
    waiting for it find it."""
    subject = record.contribution or record.pledge
    if subject is None:
        return set()
    keys = {getattr(subject, name, "") for name in
            ("subscription_ref", "payment_ref", "customer_ref")}
    for source, ref in subject.ledger_entries.filter(kind="payment").values_list(
            "source_ref", "provider_ref"):
        keys |= {source, ref}
    return keys - {""}


def apply_waiting(alias):
    """Apply every waiting event of a provider whose contribution or pledge can now be
    found (the periodic job `apply_waiting_events`: a safety net for a delivery that
    stopped between its commit and its own sweep). Returns (applied, still waiting)."""
    applied = 0
    waiting = ProviderEvent.objects.filter(
        provider=alias, outcome=ProviderEvent.Outcome.WAITING, applied_at__isnull=True,
    ).order_by("occurred_at", "pk")
    for record in waiting.iterator():
        outcome, keys = _apply(record)
        if outcome == ProviderEvent.Outcome.APPLIED:
            applied += 1
            if keys:
                _retry_waiting(alias, keys)
    still = ProviderEvent.objects.filter(
        provider=alias, outcome=ProviderEvent.Outcome.WAITING, applied_at__isnull=True,
    ).count()
    return applied, still


def _retry_waiting(alias, keys):
    """Apply the waiting events that refer to one of `keys`, the ids an event just linked
    or paid under; and, in turn, those waiting for what they link."""
    for _round in range(5):
        waiting = ProviderEvent.objects.filter(
            provider=alias, outcome=ProviderEvent.Outcome.WAITING, applied_at__isnull=True,
        ).order_by("occurred_at", "pk").only("pk", "provider", "event_id", "type", "facts")
        woken = set()
        for record in waiting.iterator():
            if _fact_keys(readable_facts(record)) & keys:
                woken |= _apply(record)[1]
        if not woken:
            return
        keys = woken
