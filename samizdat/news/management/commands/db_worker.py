"""`manage.py db_worker`: django-tasks-db's worker, made to outlive database restarts.

Same options as django-tasks-db's command (this app comes first in INSTALLED_APPS,
so this command replaces it everywhere: systemd, `make demo`, `make prod-smoke`).
What it adds is in news/worker.py: reconnect with back-off after a database
error, a heartbeat, and the take-back of tasks whose worker died.
"""

import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from samizdat.news.worker import ResilientWorker


class Command(db_worker.Command):
    help = ("Run the task worker: reconnects after database errors, keeps a heartbeat, "
            "and takes back the tasks of workers that died.")

    def handle(self, *, verbosity, queue_name, interval, batch, backend_name, startup_delay,
               reload, max_tasks, worker_id, exclude_queues, **options):
        self.configure_logging(verbosity)
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = ResilientWorker(
            queue_names=queue_names, interval=interval, batch=batch, backend_name=backend_name,
            startup_delay=startup_delay, max_tasks=max_tasks, worker_id=worker_id,
            excluded_queue_names=excluded)
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
