"""Apply provider events still waiting for their contribution or pledge, where it now exists.

A webhook applies the events waiting for the subject it just linked; this periodic job
(run_periodic, every 5 minutes) catches any that a delivery left behind.
"""

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from samizdat.support.models import ProviderEvent
from samizdat.support.webhooks import apply_waiting

STALE_AFTER = timedelta(days=1)


class Command(BaseCommand):
    help = "Apply waiting provider events whose contribution or pledge can now be found."

    def handle(self, *args, **options):
        for alias in settings.SAMIZDAT_PAYMENT_PROVIDERS:
            applied, still = apply_waiting(alias)
            if applied or still:
                self.stdout.write(f"{alias}: {applied} waiting event(s) applied, "
                                  f"{still} still waiting.")
        stale = ProviderEvent.objects.filter(
            outcome=ProviderEvent.Outcome.WAITING, applied_at__isnull=True,
            received_at__lt=timezone.now() - STALE_AFTER,
        ).count()
        if stale:
            # Not an error of this job, but money no gift or plan here accounts for.
            self.stderr.write(f"{stale} provider event(s) have waited more than a day for a "
                              "contribution or pledge; reconcile_provider lists them.")
