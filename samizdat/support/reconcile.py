"""Reconciliation: the ledger compared, movement by movement, with the provider's truth.

`check_ledger` shows that statuses agree with the ledger; this shows that the ledger
agrees with the money the provider says moved. For Stripe that is its API (charges,
their refunds, disputes); for a provider with no records of its own (the demo, bank
transfers confirmed by staff) it is the events it sent, applied or not. Every
difference is reported: missing in the ledger, extra in the ledger, or an amount or
currency that differs. `manage.py reconcile_provider` runs it (daily from
run_periodic) and keeps each result as a ReconciliationRun for the dashboard.

A provider may record what is safe of the money the ledger lacks (`record_missing`:
BTCPay, providers/btcpay_reconcile.py, through the same receiver its webhooks reach);
the report still lists each such difference, marked with what was done.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from .facts import readable_facts
from .ledger import INCOMING_KINDS, LEDGER_KINDS
from .models import LedgerEntry, ProviderEvent, ReconciliationRun
from .money import format_money
from .providers.base import Movement, get_provider

__all__ = ["Difference", "compare", "ledger_entries", "provider_movements", "reconcile"]


@dataclass(frozen=True)
class Difference:
    what: str  # "missing in ledger" | "extra in ledger" | "amount differs"
    detail: str
    movement: object = field(default=None, compare=False)  # the provider's, if any

    def __str__(self):
        return f"{self.what}: {self.detail}"


def _money(amount, currency):
    return format_money(amount, currency, "en") if currency else str(amount)


def event_movements(provider, since):
    """What a provider without records of its own says moved: the money facts of the
    events it sent since `since` (each payment, refund or dispute once, by its id)."""
    movements = {}
    records = ProviderEvent.objects.filter(
        provider=provider.identifier, occurred_at__gte=since,
    ).exclude(outcome=ProviderEvent.Outcome.IGNORED).order_by("occurred_at", "pk")
    for record in records.iterator():
        for fact in readable_facts(record):
            if fact.kind not in LEDGER_KINDS or not fact.amount_minor:
                continue
            key = fact.provider_ref or record.event_id
            sign = 1 if fact.kind in INCOMING_KINDS else -1
            movements.setdefault((fact.kind, key), Movement(
                fact.kind, frozenset({key}), sign * fact.amount_minor,
                fact.currency.upper(), f"{fact.kind} {key} (event {record.event_id})"))
    return list(movements.values())


def provider_movements(provider, since):
    """(movements, notes): the provider's own list, or its events when it keeps none."""
    listed = provider.list_movements(since)
    if listed is None:
        return event_movements(provider, since), []
    return listed


def ledger_entries(alias, since):
    """The provider's ledger entries to compare: payments since `since`, and refunds and
    disputes since then except those of a payment from before (outside the window)."""
    entries = list(LedgerEntry.objects.filter(provider=alias, occurred_at__gte=since)
                   .select_related("contribution", "pledge").order_by("occurred_at", "pk"))
    sources = {e.source_ref for e in entries if e.kind != "payment" and e.source_ref}
    earlier = set()
    if sources:
        for ref, source in LedgerEntry.objects.filter(
                Q(provider_ref__in=sources) | Q(source_ref__in=sources),
                provider=alias, kind="payment", occurred_at__lt=since,
        ).values_list("provider_ref", "source_ref"):
            earlier |= {ref, source}
    return [e for e in entries if e.kind == "payment" or e.source_ref not in earlier]


def compare(movements, entries):
    """Every difference between the provider's movements and the ledger's entries."""
    index = defaultdict(set)
    for number, entry in enumerate(entries):
        for key in {entry.provider_ref, entry.source_ref} - {""}:
            index[(entry.kind, key)].add(number)
    matched, differences = set(), []
    for movement in movements:
        found = set().union(*(index[(movement.kind, key)] for key in movement.keys))
        if not found:
            if movement.amount_minor:
                differences.append(Difference("missing in ledger", f"{movement.label}: "
                                   f"{_money(movement.amount_minor, movement.currency)}",
                                   movement))
            continue
        matched |= found
        total = sum(entries[n].amount_minor for n in found)
        currencies = {entries[n].currency for n in found}
        if total != movement.amount_minor or currencies != {movement.currency}:
            ledger = ", ".join(_money(sum(entries[n].amount_minor for n in found
                                          if entries[n].currency == c), c)
                               for c in sorted(currencies))
            differences.append(Difference("amount differs", f"{movement.label}: provider "
                               f"{_money(movement.amount_minor, movement.currency)}, "
                               f"ledger {ledger}", movement))
    for number, entry in enumerate(entries):
        if number not in matched:
            subject = entry.subject
            differences.append(Difference("extra in ledger", f"{entry.kind} "
                               f"{entry.provider_ref or entry.source_ref or entry.pk} of "
                               f"{subject.reference if subject else '?'}: "
                               f"{_money(entry.amount_minor, entry.currency)}"))
    return differences


def reconcile(alias, since, record=True):
    """Compare one provider with the ledger since `since` (an aware datetime) and store
    the result; with `record`, let the provider record what it can of the missing
    money. Returns the ReconciliationRun; a provider that cannot be read is stored
    as an error and its exception raised."""
    provider = get_provider(alias)
    run = ReconciliationRun(provider=alias, since=since.date())
    try:
        movements, notes = provider_movements(provider, since)
    except Exception as exc:
        # Stored so the dashboard shows the failed run; then raised, never hidden.
        run.error = f"{type(exc).__name__}: {exc}"[:500]
        run.save()
        raise
    entries = ledger_entries(alias, since)
    not_listed = getattr(provider, "not_listed", None)
    if not_listed is not None:
        kept = [entry for entry in entries if not not_listed(entry)]
        if len(kept) < len(entries):
            notes = [*notes, f"{len(entries) - len(kept)} ledger entry(ies) of a kind the "
                             f"provider's list does not show, not compared"]
        entries = kept
    differences = compare(movements, entries)
    done = {}
    missing = [d.movement for d in differences if d.what == "missing in ledger"]
    if record and missing and hasattr(provider, "record_missing"):
        done = provider.record_missing(missing)
    lines = [f"{d} ({done[d.movement.label]})" if d.movement and d.movement.label in done
             else str(d) for d in differences]
    run.checked = len(movements)
    run.differences = len(differences)
    run.report = "\n".join(lines + [f"note: {n}" for n in notes])
    run.save()
    return run
