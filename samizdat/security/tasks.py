"""A harmless task that proves a worker runs queued jobs, and only once."""

import os
import time

from django_tasks import task

from .models import ProbeRun


@task()
def probe(token, seconds=0.0):
    """Record that `token` ran in this process; optionally take `seconds` to do it."""
    ProbeRun.objects.create(token=token, worker_pid=os.getpid())
    if seconds:
        time.sleep(seconds)
    return token
