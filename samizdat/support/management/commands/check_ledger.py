"""Recompute every contribution's and pledge's state from the ledger; report mismatches.

Exits 1 when anything disagrees, so cron, CI or run_periodic's log can alert on it.
"""

from django.core.management.base import BaseCommand, CommandError

from samizdat.support.crypto import UNREADABLE_HELP, UnreadableEmail
from samizdat.support.facts import UnreadableFacts, load_facts
from samizdat.support.ledger import derive_state, totals
from samizdat.support.models import Contribution, LedgerEntry, Pledge, ProviderEvent, Supporter
from samizdat.support.money import format_money


def find_mismatches():
    """[(subject, field, stored, derived)] for every stored value the ledger contradicts."""
    problems = []
    for model in (Contribution, Pledge):
        for subject in model.objects.all().iterator():
            state = derive_state(subject)
            if subject.status != state.status:
                problems.append((subject, "status", subject.status, state.status))
            if subject.recurring and state.amount_minor and (
                    subject.amount_minor != state.amount_minor):
                problems.append((subject, "amount_minor", subject.amount_minor,
                                 state.amount_minor))
            if subject.recurring and subject.amount_mismatch != state.mismatch:
                problems.append((subject, "amount_mismatch", subject.amount_mismatch,
                                 state.mismatch))
            # Money in another currency is expected on a subject flagged "amount differs"
            # (it records what arrived); anywhere else the ledger contradicts the subject.
            foreign = subject.ledger_entries.exclude(currency=subject.currency).count()
            if foreign and not state.mismatch:
                problems.append((subject, "currency", subject.currency,
                                 f"{foreign} entries in another currency"))
    unapplied = ProviderEvent.objects.filter(
        outcome=ProviderEvent.Outcome.APPLIED, applied_at__isnull=True
    ).count()
    if unapplied:
        problems.append((None, "events", "applied", f"{unapplied} without applied_at"))
    return problems


def unreadable_events():
    """[(event, reason)] for every stored event whose facts cannot be read: it counts for
    nothing in any state, which an operator must know rather than guess."""
    found = []
    for event in ProviderEvent.objects.only("pk", "provider", "event_id", "facts").iterator():
        try:
            load_facts(event.facts)
        except UnreadableFacts as exc:
            found.append((event, str(exc)))
    return found


class Command(BaseCommand):
    help = "Recompute every contribution and pledge from the ledger and report mismatches."

    def handle(self, *args, **options):
        problems = find_mismatches()
        for subject, field, stored, derived in problems:
            label = f"{type(subject).__name__} {subject.reference}" if subject else "ledger"
            self.stdout.write(f"MISMATCH {label}: {field} stored={stored} ledger={derived}")
        unreadable = sum(
            isinstance(supporter.email, UnreadableEmail)
            for supporter in Supporter.objects.exclude(email_index="").only("email").iterator()
        )
        if unreadable:
            # Not a ledger problem (amounts never depend on the keys), but said plainly.
            self.stderr.write(f"WARNING {unreadable} donor address(es) cannot be read: "
                              f"{UNREADABLE_HELP}")
        unreadable_facts = unreadable_events()
        for event, reason in unreadable_facts[:20]:
            self.stderr.write(f"WARNING event {event.provider}:{event.event_id}: its facts "
                              f"cannot be read ({reason}); it counts for nothing")
        if len(unreadable_facts) > 20:
            self.stderr.write(f"WARNING … and {len(unreadable_facts) - 20} more such events")
        net = totals()
        summary = ", ".join(format_money(v, c, "en") for c, v in sorted(net.items())) or "nothing"
        self.stdout.write(
            f"Checked {Contribution.objects.count()} contributions, {Pledge.objects.count()} "
            f"pledges, {LedgerEntry.objects.count()} ledger entries; net {summary}."
        )
        if problems:
            # CommandError: exit status 1 on the command line; logged by run_periodic.
            raise CommandError(f"{len(problems)} mismatch(es) found.")
        flagged = (Contribution.objects.filter(status=Contribution.Status.MISMATCH).count()
                   + Pledge.objects.filter(amount_mismatch=True).count())
        if flagged:
            self.stdout.write(f"{flagged} contribution(s) or pledge(s) received an amount or "
                              "currency that differs from what was asked: see the "
                              "fundraising dashboard.")
        self.stdout.write("Ledger consistent.")
