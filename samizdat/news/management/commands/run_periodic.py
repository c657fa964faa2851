"""Run the site's periodic jobs (scheduled publishing and others) in a loop.

Each job is a management command with an interval, listed in the setting
SAMIZDAT_PERIODIC_JOBS. Production may use cron instead (docs/deploy.md).
"""

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run SAMIZDAT_PERIODIC_JOBS forever (or once with --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args, once=False, **options):
        jobs = list(settings.SAMIZDAT_PERIODIC_JOBS)
        if not jobs:
            raise CommandError("SAMIZDAT_PERIODIC_JOBS is empty")
        next_run = {name: 0.0 for name, _interval in jobs}
        while True:
            now = time.monotonic()
            for name, interval in jobs:
                if once or now >= next_run[name]:
                    self._run(name)
                    next_run[name] = now + interval
            if once:
                return
            time.sleep(1)

    def _run(self, name):
        try:
            call_command(name, verbosity=0)
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others
            self.stderr.write(f"{name} failed: {exc!r}")
