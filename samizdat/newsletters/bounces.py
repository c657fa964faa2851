"""Hard bounces and complaints: the address gets nothing more.

Two ways in: the mail server refuses a recipient for good when the message is handed
over (a 5xx to RCPT TO, sending.py), or a hosted sender reports a bounce or a
complaint through anymail's tracking webhook, whose signature anymail verifies
before the `tracking` signal reaches us. Only the issue's counts record what
happened; the suppressed subscriber row says why it gets nothing, and goes with
everything else on "delete everything".
"""

import logging

from django.db import transaction

from samizdat.core.crypto import blind_index

from . import counts
from .models import Delivery, Subscriber

logger = logging.getLogger(__name__)

BOUNCED = "bounced"
COMPLAINED = "complained"


def suppress(email_index, reason):
    """Mark the address suppressed and drop its unsent deliveries; True if it was known."""
    with transaction.atomic():
        changed = Subscriber.objects.filter(email_index=email_index, suppressed="").update(
            suppressed=reason
        )
        Delivery.objects.filter(
            subscription__subscriber__email_index=email_index, sent_at__isnull=True
        ).delete()
    return bool(changed)


def refused_at_handover(delivery):
    """The mail server said the address does not exist (5xx): suppress it, count it."""
    counts.add(delivery.issue_id, "bounced")
    suppress(delivery.subscription.subscriber.email_index, BOUNCED)
    logger.info("newsletter issue %s: a recipient was refused for good", delivery.issue_id)


def _issue_id(event):
    value = (getattr(event, "metadata", None) or {}).get("newsletter_issue")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def on_tracking(sender, event, esp_name, **kwargs):
    """anymail's `tracking` signal, sent only for a webhook call whose signature (or basic
    auth) anymail verified."""
    issue_id = _issue_id(event)
    kind = event.event_type
    if kind == "delivered":
        counts.add(issue_id, "delivered")
        return
    if kind not in ("bounced", "complained", "unsubscribed") or not event.recipient:
        return
    index = blind_index(event.recipient)
    if kind == "bounced":  # anymail's "bounced" is permanent; soft ones are "deferred"
        counts.add(issue_id, "bounced")
        suppress(index, BOUNCED)
    elif kind == "complained":
        counts.add(issue_id, "complained")
        suppress(index, COMPLAINED)
    elif issue_id is not None:  # the sender's own unsubscribe link (or list header)
        subscriber = Subscriber.objects.filter(email_index=index).first()
        if subscriber is not None:
            counts.add(issue_id, "unsubscribed")
            subscriber.subscriptions.filter(newsletter__issues=issue_id).delete()
