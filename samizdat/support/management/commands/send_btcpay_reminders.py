"""Periodic job: BTCPay plans' reminders, past-due marks and ends (support/btcpay_plans.py),
and refunds BTCPay has paid since staff asked (support/btcpay_refunds.py)."""

from django.core.management.base import BaseCommand

from samizdat.support.btcpay_plans import run_reminders
from samizdat.support.btcpay_refunds import check_refunds


class Command(BaseCommand):
    help = (
        "E-mail each BTCPay plan's invoice for the coming period; mark unpaid plans "
        "past due after the grace period and end them after the set missed periods; "
        "record the refunds BTCPay has paid."
    )

    def handle(self, *args, **options):
        counts = run_reminders()
        counts["refunds_recorded"] = check_refunds()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in counts.items()))
