"""Sending an issue: one Delivery row per confirmed subscription is written first, then
batches of them are claimed, handed to the mail server and marked sent.

A reader is never sent the same issue twice by a re-run: only deliveries without
`sent_at` are sent, and a delivery is claimed (a conditional UPDATE) before its
message goes out, so two workers never send the same one. A worker that dies
between the server accepting a message and marking it sent leaves a claim; after
NEWSLETTERS_CLAIM_SECONDS a re-run sends that one message again (at least once for
that single reader, never for the rest). When the mail server fails, the batch stops,
the failed delivery is released, and the next run resumes with everyone left.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import Delivery, Issue, Subscription
from .render import message_for, render_content

logger = logging.getLogger(__name__)


class NotSendable(Exception):
    pass


def batch_size():
    return getattr(settings, "NEWSLETTERS_BATCH_SIZE", 200)


def claim_seconds():
    return getattr(settings, "NEWSLETTERS_CLAIM_SECONDS", 600)


def start(issue_id):
    """Staff pressed Send: write the deliveries and queue the first batch. Sending an
    issue that is already sending queues it again (a resume); a sent issue is refused."""
    from .tasks import send_batch

    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue_id)
        if issue.status == Issue.Status.SENT:
            raise NotSendable("This issue was sent already.")
        if issue.article_id is not None and not issue.article.live:
            raise NotSendable("The article of this issue is not published.")
        if issue.status == Issue.Status.DRAFT:
            confirmed = Subscription.objects.filter(newsletter_id=issue.newsletter_id,
                                                    confirmed__isnull=False)
            Delivery.objects.bulk_create(
                (Delivery(issue=issue, subscription_id=pk)
                 for pk in confirmed.values_list("pk", flat=True).iterator()),
                batch_size=1000, ignore_conflicts=True)
            issue.status = Issue.Status.SENDING
            issue.save(update_fields=["status"])
        transaction.on_commit(lambda: send_batch.enqueue(issue.pk))
    return issue


def pending(issue, now=None):
    now = now or timezone.now()
    stale = now - timedelta(seconds=claim_seconds())
    return issue.deliveries.filter(sent_at__isnull=True).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))


def send_batch(issue_id):
    """Send up to one batch; returns (sent, more_left). Raises the mail server's error
    after releasing the delivery it failed on."""
    issue = Issue.objects.select_related("newsletter", "article").get(pk=issue_id)
    if issue.status != Issue.Status.SENDING:
        return 0, False
    content = render_content(issue)
    ids = list(pending(issue).order_by("pk").values_list("pk", flat=True)[:batch_size()])
    sent = 0
    backend = getattr(settings, "NEWSLETTERS_EMAIL_BACKEND", None)
    with get_connection(backend) as connection:
        for pk in ids:
            now = timezone.now()
            claimed = pending(issue, now).filter(pk=pk).update(claimed_at=now)
            if not claimed:
                continue  # sent or claimed by another worker meanwhile
            delivery = Delivery.objects.select_related(
                "subscription__subscriber", "subscription__newsletter").filter(pk=pk).first()
            if delivery is None:
                continue  # the reader unsubscribed meanwhile
            try:
                message_for(content, delivery.subscription, connection).send()
            except (smtplib.SMTPException, OSError):
                Delivery.objects.filter(pk=pk).update(claimed_at=None)
                logger.warning("newsletter issue %s paused: mail server failed", issue.pk)
                raise
            Delivery.objects.filter(pk=pk).update(sent_at=timezone.now())
            sent += 1
    if issue.deliveries.filter(sent_at__isnull=True).exists():
        return sent, True
    Issue.objects.filter(pk=issue.pk, status=Issue.Status.SENDING).update(
        status=Issue.Status.SENT, sent_at=timezone.now())
    return sent, False


def progress(issue):
    total = issue.deliveries.count()
    sent = issue.deliveries.filter(sent_at__isnull=False).count()
    return {"total": total, "sent": sent, "pending": total - sent}
