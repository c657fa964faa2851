"""Background sending: each task sends one batch and queues the next (`manage.py
db_worker` runs them). Tasks take ids, not objects."""

from django_tasks import task

from . import batches
from .models import Issue


@task()
def send_batch(issue_id):
    _sent, more = batches.send_batch(issue_id)
    if more and batches.pending(Issue.objects.get(pk=issue_id)).exists():
        send_batch.enqueue(issue_id)
    return more


@task()
def ask_imported_to_confirm(subscriber_ids, base_url):
    """After an import whose readers must opt in again: one confirmation e-mail each.
    Takes row ids, never addresses (a queued task's arguments are stored)."""
    from .subscribing import ask_again

    return sum(1 for pk in subscriber_ids if ask_again(pk, base_url))
