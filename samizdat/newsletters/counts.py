"""Per-issue counts (sent, delivered, bounced, complained, unsubscribed): numbers on the
issue, never a record of which reader did what."""

from django.db.models import F

from .models import Delivery, Issue

FIELDS = {
    "delivered": "delivered_count",
    "bounced": "bounced_count",
    "complained": "complained_count",
    "unsubscribed": "unsubscribed_count",
}


def add(issue_id, what):
    """Add one to an issue's count; an unknown issue (deleted meanwhile) is ignored."""
    if issue_id is None:
        return 0
    field = FIELDS[what]
    return Issue.objects.filter(pk=issue_id).update(**{field: F(field) + 1})


def latest_issue_of(subscription_ids):
    """The issue most recently sent to any of these subscriptions: an unsubscribe or a
    complaint counts against it."""
    return (
        Delivery.objects.filter(subscription_id__in=subscription_ids, sent_at__isnull=False)
        .order_by("-sent_at", "-pk")
        .values_list("issue_id", flat=True)
        .first()
    )
