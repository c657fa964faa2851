"""Post pending articles and issues to the connected Telegram channels (in
SAMIZDAT_PERIODIC_JOBS; newsletters/telegram.py says how rate limits are kept)."""

from django.core.management.base import BaseCommand

from samizdat.newsletters import telegram


class Command(BaseCommand):
    help = "Post newly published articles and sent issues to Telegram channels."

    def handle(self, *args, **options):
        telegram.record_issues()
        posted = telegram.post_pending()
        if options["verbosity"]:
            self.stdout.write(f"{posted} post(s) sent to Telegram.")
