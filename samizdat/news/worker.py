"""The task worker's safety net: outlive a database restart, and take back dead workers' tasks.

django-tasks-db's worker exits on any database error but "database is locked",
and a task whose worker was killed stays RUNNING for ever. Our `db_worker`
(news/management/commands/db_worker.py) runs the same loop with three additions:

- a database error closes the connection, waits (backing off to 30 s) and
  carries on, so a PostgreSQL restart costs seconds, not a stopped queue;
- a thread records the worker's heartbeat (WorkerHeartbeat) every
  lease / 6 seconds, also while a long task runs;
- the same thread now and then looks for tasks RUNNING longer than the lease
  under a worker whose heartbeat is older than the lease: a task listed in
  SAMIZDAT_TASKS_RERUN_IF_WORKER_DIES (safe to run twice) goes back to READY;
  any other is marked FAILED with WorkerLost, so staff see it and nothing is
  done twice behind their back.
"""

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from samizdat.core.database import DATABASE_DOWN, close_connection

from .models import WorkerHeartbeat

logger = logging.getLogger("samizdat.worker")

MAX_BACKOFF_SECONDS = 30
# A task that took its worker down this many times is not tried again.
MAX_ATTEMPTS = 3


class WorkerLost(Exception):
    """The worker running a task stopped before recording how it ended."""


def lease_seconds():
    return float(getattr(settings, "SAMIZDAT_WORKER_LEASE_SECONDS", 60))


def heartbeat_seconds():
    return max(0.5, lease_seconds() / 6)


def may_rerun(task):
    """True if this queued task is listed as safe to run twice, with no argument that
    makes it unsafe (e.g. `again=True`: a receipt copy that has no claim)."""
    rules = getattr(settings, "SAMIZDAT_TASKS_RERUN_IF_WORKER_DIES", {})
    if task.task_path not in rules:
        return False
    kwargs = (task.args_kwargs or {}).get("kwargs") or {}
    return not any(kwargs.get(name) for name in rules[task.task_path])


def release(task, reason):
    """Put a task whose run was cut short back in the queue, or fail it; returns the status."""
    rerun = may_rerun(task)
    if rerun and len(task.worker_ids) < MAX_ATTEMPTS:
        task.status = TaskResultStatus.READY
        task.save(update_fields=["status"])
        logger.warning("Task id=%s (%s) queued again: %s", task.pk, task.task_path, reason)
    else:
        why = reason + (f"; not run again after {len(task.worker_ids)} attempts" if rerun else
                        "; not run again: it is not in SAMIZDAT_TASKS_RERUN_IF_WORKER_DIES")
        task.set_failed(WorkerLost(why))
        logger.error("Task id=%s (%s) failed: %s", task.pk, task.task_path, why)
    return task.status


def beat(worker_id, started_at, now=None):
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"seen_at": now, "host": socket.gethostname()[:255], "pid": os.getpid()},
        create_defaults={"seen_at": now, "started_at": started_at,
                         "host": socket.gethostname()[:255], "pid": os.getpid()})


def release_orphans(now=None):
    """Tasks RUNNING under a worker that stopped beating: requeued or failed. Returns
    {status: count}. Row locks (skip locked) keep two sweeping workers apart."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds())
    live = set(WorkerHeartbeat.objects.filter(seen_at__gte=cutoff)
               .values_list("worker_id", flat=True))
    counts = {}
    with transaction.atomic():
        running = (DBTaskResult.objects.running().filter(started_at__lt=cutoff)
                   .select_for_update(skip_locked=True))
        for task in running:
            owner = task.worker_ids[-1] if task.worker_ids else ""
            if owner in live:
                continue
            status = release(task, f"worker {owner or '?'} stopped (no heartbeat for "
                                   f"{lease_seconds():g} s) while running it")
            counts[status] = counts.get(status, 0) + 1
    # Workers gone for long are of no further use to anyone.
    WorkerHeartbeat.objects.filter(seen_at__lt=now - timedelta(days=1)).delete()
    return counts


def release_leftovers(worker_id):
    """At start: tasks still RUNNING under this worker id were left by an earlier
    process with the same id (a fixed --worker-id), which is dead."""
    counts = {}
    with transaction.atomic():
        for task in DBTaskResult.objects.running().select_for_update(skip_locked=True):
            if task.worker_ids and task.worker_ids[-1] == worker_id:
                status = release(task, f"worker {worker_id} restarted while running it")
                counts[status] = counts.get(status, 0) + 1
    return counts


class Heartbeat(threading.Thread):
    """Beats every heartbeat_seconds() and sweeps orphans every lease / 2, on its own
    connection. After its own outage it waits a lease before sweeping, so other workers
    that were cut off too have time to beat again."""

    def __init__(self, worker_id):
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.halt = threading.Event()
        self.last_ok = None
        self.next_sweep = 0.0

    def tick(self):
        now = time.monotonic()
        beat(self.worker_id, self.started_at)
        if self.last_ok is None or now - self.last_ok > 2 * heartbeat_seconds() + 5:
            self.next_sweep = max(self.next_sweep, now + lease_seconds())
            if self.last_ok is None:
                self.next_sweep = now  # at start: take over what a dead worker left
        self.last_ok = now
        if now >= self.next_sweep:
            release_orphans()
            self.next_sweep = now + lease_seconds() / 2

    def run(self):
        while True:
            try:
                self.tick()
            except DATABASE_DOWN as exc:
                logger.warning("Heartbeat of %s not recorded: %s", self.worker_id, exc)
                close_connection()
            except Exception:  # noqa: BLE001 - a bug here must not stop the heartbeat
                logger.exception("Heartbeat of %s failed", self.worker_id)
            if self.halt.wait(heartbeat_seconds()):
                break
        close_connection()

    def stop(self, forget=True):
        self.halt.set()
        self.join(10)
        if forget:
            try:
                WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
            except DATABASE_DOWN:
                pass  # the row ages out; the lease does the rest


class ResilientWorker(Worker):
    """django-tasks-db's Worker that reconnects after a database error and beats."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.unrecorded = None  # a task whose end could not be written (database down)

    def run(self):
        heartbeat = Heartbeat(self.worker_id)
        failures, down_since = 0, None
        try:
            while True:
                try:
                    if heartbeat.ident is None:
                        release_leftovers(self.worker_id)
                        beat(self.worker_id, heartbeat.started_at)
                        heartbeat.start()
                    self.settle()
                    if down_since is not None:
                        connection.ensure_connection()
                        logger.warning("Database reachable again after %.1f s; carrying on",
                                       time.monotonic() - down_since)
                        failures, down_since = 0, None
                    return super().run()
                except DATABASE_DOWN as exc:
                    if not self.running:
                        return None
                    failures += 1
                    down_since = down_since or time.monotonic()
                    pause = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (failures - 1))
                    logger.warning("Database unavailable (%s); trying again in %.1f s",
                                   str(exc).strip().splitlines()[0] if str(exc) else
                                   type(exc).__name__, pause)
                    close_connection()
                    self.startup_delay = False
                    time.sleep(pause)
        finally:
            heartbeat.stop()

    def settle(self):
        """Record the end of the task the database went away under: queue it again if
        that is safe, else fail it (its work may have been done, or half done)."""
        if self.unrecorded is None:
            return
        with transaction.atomic():
            task = (DBTaskResult.objects.select_for_update()
                    .filter(pk=self.unrecorded, status=TaskResultStatus.RUNNING).first())
            if task is not None:
                release(task, "the database connection was lost while it ran")
        self.unrecorded = None

    def run_task(self, db_task_result):
        try:
            super().run_task(db_task_result)
        except DATABASE_DOWN:
            self.unrecorded = db_task_result.pk
            raise
        if (db_task_result.status == TaskResultStatus.FAILED
                and db_task_result.exception_class_path in {
                    "django.db.utils.OperationalError", "django.db.utils.InterfaceError"}
                and may_rerun(db_task_result) and len(db_task_result.worker_ids) < MAX_ATTEMPTS):
            # It failed because the database went away, and the database came back in
            # time to record that: it is safe to run again, so it runs again.
            db_task_result.status = TaskResultStatus.READY
            db_task_result.save(update_fields=["status"])
            logger.warning("Task id=%s (%s) queued again after a database error",
                           db_task_result.pk, db_task_result.task_path)
