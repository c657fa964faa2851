"""Background sending: each task sends one batch and queues the next (`manage.py
db_worker` runs them). Tasks take ids, not objects."""

from django_tasks import task

from . import sending


@task()
def send_batch(issue_id):
    _sent, more = sending.send_batch(issue_id)
    if more and sending.pending(sending.Issue.objects.get(pk=issue_id)).exists():
        send_batch.enqueue(issue_id)
    return more
