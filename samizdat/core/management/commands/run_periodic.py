"""Run the site's periodic jobs (scheduled publishing and others).

Each job is a management command with an interval, listed in the setting
SAMIZDAT_PERIODIC_JOBS. A job runs when it is due by the shared record in the
database (core/periodic.py), so cron's `--once` every minute runs the daily
jobs daily, and two running loops never run a job twice.
"""

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from samizdat.core.database import DATABASE_DOWN, close_connection
from samizdat.core.periodic import claim
from samizdat.redact import redact

LOOP_SECONDS = 5  # how often the loop looks for due jobs (the shortest interval is 60 s)


class Command(BaseCommand):
    help = "Run the due SAMIZDAT_PERIODIC_JOBS forever (or once with --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true",
                            help="run the jobs that are due now, then exit (for cron)")

    def handle(self, *args, once=False, **options):
        jobs = list(settings.SAMIZDAT_PERIODIC_JOBS)
        if not jobs:
            raise CommandError("SAMIZDAT_PERIODIC_JOBS is empty")
        while True:
            try:
                for name, interval in jobs:
                    if claim(name, interval):
                        self._run(name, options["verbosity"])
            except DATABASE_DOWN as exc:
                if once:
                    raise
                # A PostgreSQL restart: wait for it, as the task worker does (news/worker.py).
                self.stderr.write(f"database unavailable ({str(exc).strip()[:200]}); "
                                  f"trying again in {LOOP_SECONDS} s")
                close_connection()
            if once:
                return
            time.sleep(LOOP_SECONDS)

    def _run(self, name, verbosity):
        if verbosity >= 2:
            self.stdout.write(f"running {name}")
        try:
            call_command(name, verbosity=0)
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
            # The exception's text may name a reader's address (an SMTP refusal).
            self.stderr.write(f"{name} failed: {redact(repr(exc))}")
