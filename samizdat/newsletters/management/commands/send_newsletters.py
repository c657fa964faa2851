"""Create the due automatic digests and start every scheduled issue whose time has come
(in SAMIZDAT_PERIODIC_JOBS; `manage.py run_periodic` runs it every minute)."""

from django.core.management.base import BaseCommand

from samizdat.newsletters import digests, scheduling
from samizdat.newsletters.models import Newsletter


class Command(BaseCommand):
    help = "Create due newsletter digests and send scheduled issues that are due."

    def add_arguments(self, parser):
        parser.add_argument(
            "--digest-now",
            action="store_true",
            help="also send every digest newsletter the last period's articles now, "
            "whatever its schedule (the demo's way to get a digest at once)",
        )

    def handle(self, *args, **options):
        made = digests.create_due_digests()
        if options["digest_now"]:
            for newsletter in Newsletter.objects.filter(digest_time__isnull=False):
                issue = digests.create_digest_now(newsletter)
                if issue is None:
                    self.stdout.write(f"{newsletter}: nothing new to send.")
                else:
                    made.append(issue)
        started = scheduling.send_due()
        if options["verbosity"]:
            self.stdout.write(f"{len(made)} digest(s) created, {started} issue(s) started.")
