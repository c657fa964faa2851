"""Claiming periodic jobs, so each runs once per interval whatever runs it.

A claim is one conditional UPDATE: of two processes that find the same job due,
exactly one changes the row (on SQLite and PostgreSQL alike).
"""

from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from .models import PeriodicJobRun

# cron's minute ticks drift by a second or two: a job of a minute or more is due
# this much early rather than a whole tick late.
SLACK_SECONDS = 5


def claim(name, interval_seconds, now=None):
    """True if `name` is due and this caller now owns its run."""
    now = now or timezone.now()
    PeriodicJobRun.objects.get_or_create(name=name)
    slack = SLACK_SECONDS if interval_seconds >= 60 else 0
    due = Q(last_started_at__isnull=True) | Q(
        last_started_at__lte=now - timedelta(seconds=interval_seconds - slack))
    return bool(PeriodicJobRun.objects.filter(due, name=name).update(
        last_started_at=now, runs=F("runs") + 1))
