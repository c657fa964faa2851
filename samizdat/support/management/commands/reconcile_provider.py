"""Compare the ledger with each payment provider's own records; exit 1 on any difference.

Run daily by run_periodic; each result is kept (ReconciliationRun) and the last one per
provider is shown on the fundraising dashboard. docs/payments.md, "Reconciliation".
BTCPay's settled payments and paid refunds the ledger lacks are recorded through the
receiver its webhooks reach (still reported, marked "recorded now"), unless --report-only.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from samizdat.support.providers.base import get_provider
from samizdat.support.reconcile import reconcile

DEFAULT_DAYS = 35  # a month of renewals and the refunds and disputes that follow them


def parse_since(value):
    """An ISO date (YYYY-MM-DD) not in the future, as the aware start of that day."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise CommandError(f"--since {value!r} is not a date: give it as YYYY-MM-DD, "
                           "e.g. 2026-01-31.") from exc
    if day > timezone.localdate():
        raise CommandError(f"--since {value} is in the future.")
    return timezone.make_aware(datetime.combine(day, time.min))


class Command(BaseCommand):
    help = ("Compare the ledger with what each payment provider says moved (Stripe: its "
            "charges, refunds and disputes; demo and bank transfer: their events) and "
            "report every difference.")

    def add_arguments(self, parser):
        parser.add_argument("--since", help=f"YYYY-MM-DD (default: {DEFAULT_DAYS} days ago)")
        parser.add_argument("--provider", help="one provider alias (default: every one)")
        parser.add_argument("--report-only", action="store_true",
                            help="record nothing, only report (BTCPay records the missing "
                                 "payments and refunds of this site's own gifts otherwise)")

    def handle(self, *args, since=None, provider=None, report_only=False, **options):
        aliases = list(settings.SAMIZDAT_PAYMENT_PROVIDERS)
        if provider is not None and provider not in aliases:
            raise CommandError(f"Unknown provider {provider!r}; configured: "
                               f"{', '.join(aliases) or 'none'}.")
        start = (parse_since(since) if since else
                 timezone.make_aware(datetime.combine(
                     timezone.localdate() - timedelta(days=DEFAULT_DAYS), time.min)))
        chosen = [provider] if provider else aliases
        total = 0
        for alias in chosen:
            backend = get_provider(alias)
            if not backend.is_configured():
                if provider:
                    raise CommandError(f"Provider {alias!r} is not configured.")
                continue
            run = reconcile(alias, start, record=not report_only)
            total += run.differences
            self.stdout.write(f"{alias}: {run.checked} movement(s) since {run.since} checked, "
                              f"{run.differences} difference(s).")
            for line in run.report.splitlines():
                self.stdout.write(f"  {line}")
        if total:
            raise CommandError(f"{total} difference(s) between the ledger and the providers.")
