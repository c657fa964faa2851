"""The ledger: append entries, derive every money state from entries and events, totals.

State is never edited by hand: after each event `refresh_state` recomputes a
contribution's or pledge's status from its ledger entries and the facts stored
with its applied events (sorted by when the provider says they happened), so the
same set of events gives the same state whatever order they arrived in, and
whatever the provider's code does with raw payloads today. `check_ledger` runs
the same derivation over everything and reports any difference.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum

from . import events as signals
from .facts import PLAN_STATUSES, readable_facts
from .models import Contribution, LedgerEntry, Pledge, ProviderEvent

logger = logging.getLogger(__name__)

__all__ = [
    "DerivedState",
    "append_facts",
    "derive_state",
    "net_minor",
    "payment_differs",
    "refresh_state",
    "totals",
]

LEDGER_KINDS = {"payment", "refund", "dispute", "reinstated", "fee"}
# Money in: stored positive. Every other ledger kind is money out, stored negative.
INCOMING_KINDS = {"payment", "reinstated"}
# At one and the same timestamp, facts apply in this order.
_PRIORITY = {
    "activated": 0, "payment": 1, "changed": 2, "status": 3, "payment_failed": 4,
    "declined": 5, "abandoned": 6, "canceled": 7,
}
@dataclass
class DerivedState:
    status: str
    amount_minor: int | None = None
    frequency: str | None = None
    paid_at: object = None
    activated_at: object = None
    canceled_at: object = None
    paused_at: object = None
    mismatch: bool = False


def _refunded_already(subject, fact):
    """What the ledger holds as refunded for the payment a cumulative refund fact is about."""
    total = subject.ledger_entries.filter(
        kind="refund", source_ref=fact.source_ref or fact.payment_ref,
    ).aggregate(total=Sum("amount_minor"))["total"] or 0
    return -total


def append_facts(subject, event, facts):
    """Append the ledger entries an event's facts call for; skip ones already recorded.

    A provider may report one payment in two events (Stripe's invoice.paid and
    a checkout completion); provider_ref deduplicates them. A cumulative refund
    (a running total for one payment) records only what the ledger does not hold
    yet for that payment, so every later partial refund is kept. Callers hold the
    subject's row lock.
    """
    new_entries = []
    for fact in facts:
        if fact.kind not in LEDGER_KINDS or not fact.amount_minor:
            continue
        existing = subject.ledger_entries.filter(kind=fact.kind)
        if fact.provider_ref and existing.filter(provider_ref=fact.provider_ref).exists():
            continue
        magnitude = abs(int(fact.amount_minor))
        if fact.cumulative:
            magnitude -= _refunded_already(subject, fact)
            if magnitude <= 0:
                continue
        entry = LedgerEntry(
            kind=fact.kind,
            amount_minor=magnitude if fact.kind in INCOMING_KINDS else -magnitude,
            currency=(fact.currency or subject.currency).upper(),
            event=event,
            provider=event.provider,
            provider_ref=fact.provider_ref,
            source_ref=fact.source_ref or fact.payment_ref,
            frequency=str(getattr(subject, "frequency", "") or "once"),
            occurred_at=event.occurred_at,
        )
        subject.attach(entry)
        entry.save()
        new_entries.append(entry)
    return new_entries


def _sorted_facts(subject):
    applied = subject.events.filter(outcome=ProviderEvent.Outcome.APPLIED)
    rows = []
    for event in applied.only("pk", "provider", "event_id", "occurred_at", "facts"):
        for fact in readable_facts(event):
            rows.append((event.occurred_at, _PRIORITY.get(fact.kind, 9), event.event_id, fact))
    rows.sort(key=lambda row: row[:3])
    return [(row[0], row[3]) for row in rows]


def derive_state(subject):
    """What the subject's status must be, given its ledger and applied events."""
    entries = list(subject.ledger_entries.all())
    if subject.recurring:
        return _derive_pledge(subject, entries)
    return _derive_contribution(subject, entries)


def payment_differs(subject, payments, amounts):
    """True if a payment is in another currency than the subject's, or if what was paid
    is not what was asked: for a gift the sum of its payments against its amount (a
    second payment is a difference too), for a plan each payment against the amounts
    the plan has had (`amounts`)."""
    if any(e.currency != subject.currency for e in payments):
        return True
    if subject.recurring:
        return any(e.amount_minor not in amounts for e in payments)
    return sum(e.amount_minor for e in payments) != subject.amount_minor


def _derive_contribution(contribution, entries):
    payments = [e for e in entries if e.kind == "payment"]
    paid = sum(e.amount_minor for e in payments)
    refunded = -sum(e.amount_minor for e in entries if e.kind == "refund")
    # A won dispute gives back what the dispute took: only an open or lost one counts.
    disputed = -sum(e.amount_minor for e in entries if e.kind in {"dispute", "reinstated"})
    paid_at = min((e.occurred_at for e in payments), default=None)
    if disputed > 0:
        return DerivedState(Contribution.Status.DISPUTED, paid_at=paid_at)
    if refunded and refunded >= paid:
        return DerivedState(Contribution.Status.REFUNDED, paid_at=paid_at)
    if paid > 0:
        if payment_differs(contribution, payments, {contribution.amount_minor}):
            return DerivedState(Contribution.Status.MISMATCH, paid_at=paid_at, mismatch=True)
        return DerivedState(Contribution.Status.PAID, paid_at=paid_at)
    status = Contribution.Status.PENDING
    for _when, fact in _sorted_facts(contribution):
        if fact.kind == "declined":
            status = Contribution.Status.FAILED
        elif fact.kind == "abandoned":
            status = Contribution.Status.CANCELED
    return DerivedState(status)


def _derive_pledge(pledge, entries):
    status = Pledge.Status.PENDING
    amount, frequency = None, None
    activated_at = canceled_at = paused_at = None
    plan_amounts = {pledge.asked_amount_minor or pledge.amount_minor, pledge.amount_minor}
    for when, fact in _sorted_facts(pledge):
        if fact.amount_minor and fact.kind in {"status", "changed"}:
            amount = int(fact.amount_minor)
            plan_amounts.add(amount)
        if fact.frequency and fact.kind in {"status", "changed"}:
            frequency = fact.frequency
        if status == Pledge.Status.CANCELED:
            continue
        before = status
        if fact.kind == "activated" and status == Pledge.Status.PENDING:
            status = Pledge.Status.ACTIVE
        elif fact.kind == "payment" and status in {Pledge.Status.PENDING, Pledge.Status.PAST_DUE}:
            status = Pledge.Status.ACTIVE
        elif fact.kind == "payment_failed" and status in {Pledge.Status.PENDING,
                                                          Pledge.Status.ACTIVE}:
            status = Pledge.Status.PAST_DUE
        elif fact.kind == "status" and fact.status in PLAN_STATUSES:
            mapped = Pledge.Status(fact.status)
            if not (mapped == Pledge.Status.PENDING and status != Pledge.Status.PENDING):
                status = mapped
        elif fact.kind == "canceled":
            status = Pledge.Status.CANCELED
        if status == Pledge.Status.ACTIVE and activated_at is None:
            activated_at = when
        if status == Pledge.Status.CANCELED:
            canceled_at = when
        if status != Pledge.Status.PAUSED:
            paused_at = None
        elif before != Pledge.Status.PAUSED:
            paused_at = when
    payments = [e for e in entries if e.kind == "payment"]
    if payments and status == Pledge.Status.PENDING:
        status = Pledge.Status.ACTIVE
        activated_at = min(e.occurred_at for e in payments)
    if status != Pledge.Status.PAUSED:
        paused_at = None
    return DerivedState(status, amount, frequency, activated_at=activated_at,
                        canceled_at=canceled_at, paused_at=paused_at,
                        mismatch=payment_differs(pledge, payments, plan_amounts))


def refresh_state(subject, new_entries=()):
    """Store the derived state on a locked subject; send signals after commit."""
    old_status = subject.status
    state = derive_state(subject)
    subject.status = state.status
    fields = ["status", "updated_at"]
    if subject.recurring:
        if state.amount_minor:
            subject.amount_minor = state.amount_minor
        if state.frequency:
            subject.frequency = state.frequency
        subject.activated_at = state.activated_at
        subject.canceled_at = state.canceled_at
        subject.paused_at = state.paused_at
        if subject.amount_mismatch != state.mismatch:
            _log_mismatch(subject, state.mismatch)
        subject.amount_mismatch = state.mismatch
        fields += ["amount_minor", "frequency", "activated_at", "canceled_at", "paused_at",
                   "amount_mismatch"]
    else:
        if state.status == Contribution.Status.MISMATCH and old_status != state.status:
            _log_mismatch(subject, True)
        subject.paid_at = state.paid_at
        fields.append("paid_at")
    subject.save(update_fields=fields)
    _announce(subject, old_status, new_entries)
    return state


def _log_mismatch(subject, differs):
    if differs:
        logger.warning("%s %s: a payment differs from the amount or currency asked; "
                       "marked for staff", type(subject).__name__, subject.reference)


def _send(signal, sender, **kwargs):
    """Send a money signal to every receiver; one that fails is logged and the others
    still run. It runs after the commit: the money is recorded whatever happens here,
    and the provider's delivery must not be answered with an error for it."""
    for receiver, error in signal.send_robust(sender, **kwargs):
        if error is not None:
            logger.error("after-commit step %s failed (%s); the money is recorded",
                         getattr(receiver, "__qualname__", receiver), type(error).__name__,
                         exc_info=error)


def _after_commit(signal, sender, **kwargs):
    transaction.on_commit(lambda: _send(signal, sender, **kwargs), robust=True)


def _announce(subject, old_status, new_entries):
    new_status = subject.status
    for entry in new_entries:
        if entry.kind == "payment":
            _after_commit(signals.payment_recorded, LedgerEntry, entry=entry)
    if old_status == new_status:
        return
    if subject.recurring:
        if new_status == Pledge.Status.PAST_DUE:
            _after_commit(signals.renewal_failed, Pledge, pledge=subject)
        elif new_status == Pledge.Status.CANCELED:
            _after_commit(signals.pledge_canceled, Pledge, pledge=subject)
        elif new_status == Pledge.Status.ACTIVE and old_status == Pledge.Status.PENDING:
            _after_commit(signals.pledge_activated, Pledge, pledge=subject)
    elif new_status in {Contribution.Status.REFUNDED, Contribution.Status.DISPUTED}:
        _after_commit(signals.contribution_refunded, Contribution, contribution=subject)


def totals(entries=None):
    """{currency: net minor units} over ledger entries (all by default)."""
    entries = LedgerEntry.objects.all() if entries is None else entries
    result = defaultdict(int)
    for row in entries.values("currency").annotate(total=Sum("amount_minor")):
        result[row["currency"]] = row["total"] or 0
    return dict(result)


def net_minor(subject):
    """What the subject has brought in, net of refunds, disputes and fees."""
    return subject.ledger_entries.aggregate(total=Sum("amount_minor"))["total"] or 0
