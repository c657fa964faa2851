"""Enqueue a probe task and wait until a worker has run it (deploy health check)."""

import time
import uuid

from django.core.management.base import BaseCommand, CommandError

from samizdat.security.models import ProbeRun
from samizdat.security.tasks import probe


class Command(BaseCommand):
    help = "Check that a task worker (manage.py db_worker) is running tasks."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=30.0,
                            help="seconds to wait for the worker (default 30)")

    def handle(self, *args, timeout=30.0, **options):
        if timeout <= 0:
            raise CommandError("--timeout must be positive")
        token = f"check-worker-{uuid.uuid4().hex}"
        probe.enqueue(token)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = ProbeRun.objects.filter(token=token).first()
            if run is not None:
                ProbeRun.objects.filter(token=token).delete()
                self.stdout.write(f"worker ok (pid {run.worker_pid})")
                return
            time.sleep(0.2)
        raise CommandError(f"no worker ran the probe task within {timeout:g} s")
