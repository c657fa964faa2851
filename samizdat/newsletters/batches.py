"""One batch of an issue's deliveries, claimed, handed to the mail server and marked
(sending.py starts a send; tasks.py runs the batches one after another).

A reader is never sent the same issue twice: a batch claims its deliveries (a
conditional UPDATE) so two workers never send the same one, marks each delivery
handed over before its message goes out, and marks it sent once the server took it.
A worker that dies leaves its handed-over deliveries "uncertain": never sent again
(docs/newsletters.md). When the mail server fails, the batch stops, what it did not
hand over is released, and the next run resumes with everyone left.
"""

import logging
import smtplib
import time
from contextlib import closing
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection
from django.db import connections
from django.db.models import Q
from django.utils import timezone

from samizdat.support.api import paying_supporter_indexes

from . import bounces
from .handover import handover
from .models import Delivery, Issue
from .render import message_for, render_content

logger = logging.getLogger(__name__)


def batch_size():
    return getattr(settings, "NEWSLETTERS_BATCH_SIZE", 200)


def claim_seconds():
    return getattr(settings, "NEWSLETTERS_CLAIM_SECONDS", 600)


def parallel_sends():
    """NEWSLETTERS_PARALLEL_SENDS: how many batch chains (so SMTP connections) one issue
    uses at once; each needs a free task worker. Batches are claimed, so chains never
    send the same delivery."""
    return max(1, int(getattr(settings, "NEWSLETTERS_PARALLEL_SENDS", 1) or 1))


def connection_options():
    """Bulk mail's own connection (NEWSLETTERS_EMAIL_BACKEND and
    NEWSLETTERS_EMAIL_OPTIONS: host, port, username, password, use_tls, timeout), so a
    long send never holds up a receipt on EMAIL_BACKEND's connection."""
    backend = getattr(settings, "NEWSLETTERS_EMAIL_BACKEND", None) or None
    return backend, dict(getattr(settings, "NEWSLETTERS_EMAIL_OPTIONS", None) or {})


class Pace:
    """At most NEWSLETTERS_SEND_RATE messages a second (0 or unset: as fast as the mail
    server takes them); sleeps between messages rather than bursting."""

    def __init__(self, rate=None):
        rate = getattr(settings, "NEWSLETTERS_SEND_RATE", 0) if rate is None else rate
        # The rate is the issue's: parallel chains share it.
        self.interval = parallel_sends() / float(rate) if rate else 0.0
        self.next = time.monotonic()

    def wait(self):
        if not self.interval:
            return
        now = time.monotonic()
        if self.next > now:
            time.sleep(self.next - now)
        self.next = max(now, self.next) + self.interval


def stale_before(now=None):
    return (now or timezone.now()) - timedelta(seconds=claim_seconds())


def pending(issue, now=None):
    """Deliveries still to send: not sent, not handed over (an uncertain one is never
    sent again), and not held by a live claim."""
    return issue.deliveries.filter(sent_at__isnull=True, handed_at__isnull=True).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale_before(now)))


def uncertain(issue, now=None):
    """Handed over by a worker that died before the server's answer was recorded: some
    of these readers got the issue, some may not have; none gets it twice."""
    return issue.deliveries.filter(sent_at__isnull=True, handed_at__isnull=False,
                                   claimed_at__lt=stale_before(now))


def unfinished(issue, now=None):
    """Not sent and not uncertain: pending ones and those a live worker holds."""
    return issue.deliveries.filter(sent_at__isnull=True).exclude(
        handed_at__isnull=False, claimed_at__lt=stale_before(now))


def supporters_among(content, email_indexes):
    """The blind indexes of paying supporters among a batch's readers, in one query,
    only when the issue has a thank-you to give them."""
    if not content.supporter_html:
        return set()
    return paying_supporter_indexes(list(email_indexes))


def claim_batch(issue, now):
    """Claim up to one batch of pending deliveries with one UPDATE and return the ids
    this run now holds (a row another worker claimed first is not among them)."""
    candidates = list(pending(issue, now).order_by("pk").values_list("pk", flat=True)
                      [:batch_size()])
    if not candidates:
        return []
    pending(issue, now).filter(pk__in=candidates).update(claimed_at=now)
    return list(issue.deliveries.filter(pk__in=candidates, claimed_at=now,
                                        sent_at__isnull=True)
                .order_by("pk").values_list("pk", flat=True))


def handover_chunk():
    """NEWSLETTERS_HANDOVER_CHUNK: how many deliveries one write marks handed over (with
    the sent marks of the messages the server took meanwhile): one commit per chunk
    instead of one per message. A killed worker leaves at most this many uncertain, so the
    default is 1: only the message in flight."""
    return max(1, int(getattr(settings, "NEWSLETTERS_HANDOVER_CHUNK", 1) or 1))


class Ledger:
    """A batch's record of what it hands over and what the server took, written a chunk
    at a time, and always in this order: a delivery is marked handed over in a commit
    that comes before its message goes out, and marked sent after the server's 250."""

    def __init__(self, ids, chunk):
        self.ids, self.chunk = ids, chunk
        self.position = {pk: number for number, pk in enumerate(ids)}
        self.handed_until = 0  # ids[:handed_until] are marked handed over
        self.accepted = []  # taken by the server, not yet marked sent
        self.sent = 0

    def before_handover(self, pk):
        number = self.position[pk]
        if number >= self.handed_until:
            self.handed_until = min(len(self.ids), number + self.chunk)
            self._write(self.ids[number:self.handed_until])

    def taken(self, pk):
        self.accepted.append(pk)
        self.sent += 1

    def flush(self):
        if self.accepted:
            self._write([])

    def _write(self, handing):
        """One UPDATE (atomic on its own, so one commit): the sent marks of what the
        server took and the hand-over marks of the next chunk. Its SQL is made once per
        shape (how many of each), not by the ORM for every message."""
        accepted, self.accepted = self.accepted, []
        if not accepted and not handing:
            return
        connection = connections[Delivery.objects.db]
        when = connection.ops.adapt_datetimefield_value(timezone.now())
        sql = _ledger_sql(connection, len(accepted), len(handing))
        params = ([*accepted, when, *handing, when, *accepted, *handing]
                  if accepted and handing else [when, *accepted, *handing])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


_LEDGER_SQL = {}


def _ledger_sql(connection, accepted, handing):
    key = (connection.alias, accepted, handing)
    sql = _LEDGER_SQL.get(key)
    if sql is None:
        quote = connection.ops.quote_name
        table, pk = quote(Delivery._meta.db_table), quote(Delivery._meta.pk.column)
        sent, handed = quote("sent_at"), quote("handed_at")

        def marks(count):
            return ", ".join(["%s"] * count)

        if accepted and handing:
            sql = (f"UPDATE {table} SET {sent} = CASE WHEN {pk} IN ({marks(accepted)}) "
                   f"THEN %s ELSE {sent} END, {handed} = CASE WHEN {pk} IN "
                   f"({marks(handing)}) THEN %s ELSE {handed} END "
                   f"WHERE {pk} IN ({marks(accepted + handing)})")
        else:
            sql = (f"UPDATE {table} SET {sent if accepted else handed} = %s "
                   f"WHERE {pk} IN ({marks(accepted + handing)})")
        sql = _LEDGER_SQL[key] = sql
    return sql


def send_batch(issue_id):
    """Send up to one batch; returns (sent, more_left). Raises the mail server's error
    after releasing the deliveries of the batch it did not send.

    The batch is claimed at once (one UPDATE, one SELECT). Its messages go over one
    SMTP conversation (handover.py: pipelined when the server allows). Before a
    message goes out its delivery is marked handed over, NEWSLETTERS_HANDOVER_CHUNK at
    a time, in the same commit as the sent marks of the messages the server took
    since the last one; so a worker killed mid-batch leaves handed-over rows that are
    never sent again (no reader gets the issue twice) and at most one chunk of them
    uncertain. Claims not used within half the lease are released, so a slow
    (throttled) batch never outlives its claim."""
    issue = Issue.objects.select_related("newsletter", "article").get(pk=issue_id)
    if issue.status != Issue.Status.SENDING:
        return 0, False
    content = render_content(issue)
    now = timezone.now()
    ids = claim_batch(issue, now)
    held = issue.deliveries.filter(pk__in=ids, claimed_at=now, sent_at__isnull=True)
    deliveries = Delivery.objects.select_related(
        "subscription__subscriber", "subscription__newsletter").filter(
        pk__in=ids).order_by("pk")  # a reader who unsubscribed meanwhile is gone
    thanked = supporters_among(content, Delivery.objects.filter(pk__in=ids).values_list(
        "subscription__subscriber__email_index", flat=True))
    backend, options = connection_options()
    pace = Pace()
    deadline = time.monotonic() + claim_seconds() / 2
    ledger = Ledger(ids, handover_chunk())

    def messages(connection):
        handed = 0
        for delivery in deliveries:
            if handed and time.monotonic() > deadline:
                return  # the rest is released below and sent by the next batch
            subscriber = delivery.subscription.subscriber
            if subscriber.suppressed or subscriber.paused:
                delivery.delete()  # bounced, complained or paused since Send was pressed
                continue
            message = message_for(content, delivery.subscription, connection,
                                  supporter=subscriber.email_index in thanked,
                                  delivery_id=delivery.pk)
            # anymail hands these to the hosted sender and gets them back in its
            # webhooks (bounces.py); other backends ignore them.
            message.metadata = {"newsletter_issue": str(issue.pk)}
            message.tags = ["newsletter"]
            pace.wait()
            handed += 1
            yield delivery, message

    with get_connection(backend, **options) as connection:
        # Closed before the connection is: a conversation stopped half-way is dropped,
        # not ended with a QUIT the server would read as part of a message.
        outcomes = closing(handover(connection, messages(connection),
                                    before_data=lambda delivery: ledger.before_handover(
                                        delivery.pk)))
        try:
            with outcomes as each:
                for delivery, refusal in each:
                    if refusal is not None:
                        bounces.refused_at_handover(delivery)  # drops the delivery
                        continue
                    ledger.taken(delivery.pk)
        except (smtplib.SMTPException, OSError) as error:
            ledger.flush()
            # What was not handed over, or was refused with an answer, goes back; a
            # message the connection was lost under stays uncertain.
            doubtful = [delivery.pk for delivery in getattr(error, "uncertain", None) or []]
            held.exclude(pk__in=doubtful).update(
                claimed_at=None, handed_at=None)
            logger.warning("newsletter issue %s paused: mail server failed", issue.pk)
            raise
    ledger.flush()
    held.update(claimed_at=None, handed_at=None)  # what the deadline left: free again
    if unfinished(issue).exists():
        return ledger.sent, True
    Issue.objects.filter(pk=issue.pk, status=Issue.Status.SENDING).update(
        status=Issue.Status.SENT, sent_at=timezone.now())
    return ledger.sent, False
