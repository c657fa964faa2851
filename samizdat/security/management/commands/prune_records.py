"""Delete what no one needs any more: finished task rows and expired sessions.

A task row keeps its arguments and, if it failed, a traceback; a session keeps
whoever signed in. Neither is needed after a few days, and every day kept is a
day a backup carries them (docs/privacy.md). Run daily by run_periodic.
"""

import datetime

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone


def prune_task_rows(days, now=None):
    """Delete task results that finished (succeeded or failed) more than `days` ago."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    deleted, _by_model = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=cutoff,
    ).delete()
    return deleted


class Command(BaseCommand):
    help = "Delete finished task rows older than SAMIZDAT_TASK_ROWS_DAYS and expired sessions."

    def handle(self, *args, **options):
        days = getattr(settings, "SAMIZDAT_TASK_ROWS_DAYS", 7)
        deleted = prune_task_rows(days)
        call_command("clearsessions")
        if options["verbosity"] >= 1:
            self.stdout.write(f"{deleted} finished task rows older than {days} days deleted; "
                              "expired sessions cleared.")
