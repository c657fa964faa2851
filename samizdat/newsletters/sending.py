"""Sending an issue: one Delivery row per confirmed subscription is written first, then
batches of them are claimed, handed to the mail server and marked sent (batches.py,
run by tasks.py).

A reader is never sent the same issue twice by a re-run: only deliveries neither sent
nor handed over are sent, each batch claims its deliveries (a conditional UPDATE)
first, so two workers never send the same one, and a worker that dies leaves the
deliveries it handed over "uncertain", never sent again (batches.py,
docs/newsletters.md).
"""

from itertools import islice

from django.core.mail import get_connection
from django.db import transaction
from django.utils import timezone

from samizdat.core.crypto import blind_index

from .batches import (
    claim_seconds,
    connection_options,
    parallel_sends,
    pending,
    send_batch,
    supporters_among,
    uncertain,
)
from .models import Delivery, Issue, Subscription, has_line_break
from .render import render_content, trial_message_for

# The batch side lives in batches.py; these are what callers of a send use from here.
__all__ = ["DELIVERY_CHUNK", "NotSendable", "claim_seconds", "header_problem", "pending",
           "progress", "send_batch", "send_test", "start"]

DELIVERY_CHUNK = 1000


class NotSendable(Exception):
    pass


def header_problem(issue):
    """What reaches a mail header, checked again at Send: a value saved past the forms'
    validators (a shell, an import) must not inject headers either."""
    newsletter = issue.newsletter
    fields = {"subject": issue.subject, "newsletter name": newsletter.name,
              "sender name": newsletter.sender_name,
              "sender address": newsletter.sender_address, "reply-to": newsletter.reply_to}
    for label, value in fields.items():
        if has_line_break(value):
            return f"The {label} contains a line break; correct it before sending."
    return None


def start(issue_id, scheduled=False):
    """Staff pressed Send: write the deliveries and queue the first batch. Sending an
    issue that is already sending queues it again (a resume); a sent issue is refused.
    `scheduled`: the periodic job's call, which does nothing unless the issue is still
    scheduled (staff may have cancelled it meanwhile)."""
    from .tasks import send_batch

    with transaction.atomic():
        issue = Issue.objects.select_for_update().get(pk=issue_id)
        if scheduled and issue.status != Issue.Status.SCHEDULED:
            return None
        if issue.status == Issue.Status.SENT:
            raise NotSendable("This issue was sent already.")
        if issue.article_id is not None and not issue.article.live:
            raise NotSendable("The article of this issue is not published.")
        problem = header_problem(issue)
        if problem:
            raise NotSendable(problem)
        if issue.status in (Issue.Status.DRAFT, Issue.Status.SCHEDULED):
            # Paused readers and suppressed addresses (bounces.py) get nothing.
            confirmed = Subscription.objects.filter(
                newsletter_id=issue.newsletter_id, confirmed__isnull=False,
                subscriber__paused=False, subscriber__suppressed="")
            # In chunks: bulk_create makes a list of what it is given, and a list of
            # 100,000 rows would make memory grow with the list size.
            ids = confirmed.order_by("pk").values_list("pk", flat=True).iterator(
                chunk_size=DELIVERY_CHUNK)
            while chunk := list(islice(ids, DELIVERY_CHUNK)):
                Delivery.objects.bulk_create(
                    [Delivery(issue=issue, subscription_id=pk) for pk in chunk],
                    ignore_conflicts=True)
            issue.status = Issue.Status.SENDING
            issue.save(update_fields=["status"])
        transaction.on_commit(lambda: [send_batch.enqueue(issue.pk)
                                       for _chain in range(parallel_sends())])
    return issue


def progress(issue):
    now = timezone.now()
    total = issue.deliveries.count()
    sent = issue.deliveries.filter(sent_at__isnull=False).count()
    doubtful = uncertain(issue, now).count()
    return {"total": total, "sent": sent, "uncertain": doubtful,
            "pending": total - sent - doubtful}
def send_test(issue, address):
    """The issue to one staff member's address, as a reader would get it, on bulk mail's
    own connection: no Delivery row, no count, whatever the issue's status."""
    content = render_content(issue)
    backend, options = connection_options()
    with get_connection(backend, **options) as connection:
        supporter = bool(supporters_among(content, [blind_index(address)]))
        trial_message_for(content, issue.newsletter, address, connection, supporter).send()
