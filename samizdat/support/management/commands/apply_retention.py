"""Apply the retention periods set in the admin (run daily; see support/retention.py)."""

from django.core.management.base import BaseCommand

from samizdat.support.retention import apply_retention, retention_settings


class Command(BaseCommand):
    help = ("Delete abandoned checkouts and erase lapsed supporters' contact data, as set in "
            "Settings → Donor data retention. Ledger amounts and totals never change.")

    def handle(self, *args, **options):
        prefs = retention_settings()
        report = apply_retention()
        self.stdout.write(
            f"Retention (checkouts {prefs.pending_days} days, one-off donors "
            f"{prefs.one_off_months} months, canceled supporters {prefs.canceled_months} "
            f"months): deleted {report.contributions_deleted} abandoned gifts, "
            f"{report.pledges_deleted} abandoned plans, {report.supporters_deleted} empty "
            f"supporter rows; erased {report.addresses_erased} addresses; "
            f"{report.checkout_addresses_erased} addresses of unpaid checkouts."
        )
