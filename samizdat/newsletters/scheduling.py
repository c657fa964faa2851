"""Sending an issue later: staff schedule it for a time and may cancel until then; the
periodic job `send_newsletters` starts every issue that is due.

Scheduling and cancelling are conditional UPDATEs, and sending.start() re-checks the
status under a row lock, so a cancel that lands while the job runs either stops the
send or is refused with "already sending" — never both.
"""

import logging

from django.utils import timezone
from django.utils.translation import gettext as _

from . import sending
from .models import Issue

logger = logging.getLogger(__name__)


class NotSchedulable(Exception):
    pass


def schedule(issue_id, when, now=None):
    """Set (or move) the send time of a draft or scheduled issue."""
    now = now or timezone.now()
    if when is None or timezone.is_naive(when):
        raise NotSchedulable(_("Choose a date and time."))
    if when <= now:
        raise NotSchedulable(_("Choose a time in the future, or send now."))
    issue = Issue.objects.select_related("article").get(pk=issue_id)
    if issue.article_id is not None and not issue.article.live:
        raise NotSchedulable(_("The article of this issue is not published."))
    changed = Issue.objects.filter(
        pk=issue_id, status__in=[Issue.Status.DRAFT, Issue.Status.SCHEDULED]
    ).update(status=Issue.Status.SCHEDULED, scheduled_for=when)
    if not changed:
        raise NotSchedulable(_("This issue is being sent or was sent already."))


def cancel(issue_id):
    """Back to draft; False if the send has already started (or was never scheduled)."""
    return bool(
        Issue.objects.filter(pk=issue_id, status=Issue.Status.SCHEDULED).update(
            status=Issue.Status.DRAFT, scheduled_for=None
        )
    )


def send_due(now=None):
    """Start every scheduled issue whose time has come; returns how many started."""
    now = now or timezone.now()
    due = Issue.objects.filter(status=Issue.Status.SCHEDULED, scheduled_for__lte=now)
    started = 0
    for pk in due.order_by("scheduled_for", "pk").values_list("pk", flat=True):
        try:
            if sending.start(pk, scheduled=True) is not None:
                started += 1
        except sending.NotSendable:
            # Its article was unpublished after scheduling: back to draft, for staff.
            cancel(pk)
            logger.warning("scheduled newsletter issue %s not sent: article unpublished", pk)
    return started
