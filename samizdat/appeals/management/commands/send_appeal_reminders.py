"""Send the e-mail reminders due today, then delete them (run daily or hourly)."""

from django.core.management.base import BaseCommand

from samizdat.appeals.reminders import send_due_reminders


class Command(BaseCommand):
    help = "Send due 'remind me later' e-mails; each address is deleted once sent."

    def handle(self, *args, **options):
        self.stdout.write(f"Reminders sent: {send_due_reminders()}")
