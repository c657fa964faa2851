"""Queue the receipts of recent payments that never went out (a worker died mid-send, or the
mail server refused). Run by run_periodic (SAMIZDAT_PERIODIC_JOBS) every few minutes."""

from django.core.management.base import BaseCommand

from samizdat.support.receipts import pending_entries
from samizdat.support.tasks import send_receipt


class Command(BaseCommand):
    help = "Queue again the receipts of recent payments that were not sent."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=None, metavar="SECONDS",
                            help="take over claims older than this (default: the lease, "
                                 "SAMIZDAT_RECEIPT_LEASE_SECONDS)")
        parser.add_argument("--days", type=int, default=3,
                            help="look back this many days (default 3)")

    def handle(self, *args, older_than=None, days=3, **options):
        count = 0
        for entry_id in pending_entries(older_than, days).values_list("pk", flat=True):
            send_receipt.enqueue(entry_id)
            count += 1
        if count or options["verbosity"] > 1:
            self.stdout.write(f"Queued {count} receipt(s) that had not been sent.")
