"""A task worker killed mid-queue: every receipt still arrives, once.

Receipts are queued with the django-tasks database backend and sent by a real
`manage.py db_worker` subprocess to a real SMTP server (aiosmtpd) on loopback. The
server holds one message in the middle of the queue while the test SIGKILLs the worker;
a second worker takes the rest, and `send_pending_receipts` (run_periodic's job) queues
the receipt the dead worker had claimed. django-tasks leaves the killed task RUNNING
for ever, so without the per-receipt claim and that recovery the held receipt is lost.

The worker shares the test's database: PostgreSQL's test database itself, or for SQLite
a file copy of the in-memory test database (VACUUM INTO) made once the queue is set up.
"""

import asyncio
import email
import email.policy
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from samizdat.support.tasks import send_receipt
from tests.smtp import parts

from .rows import make_gift

# Committed rows, which the worker process can see; no Site is needed (e-mails work without).
pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


class HoldingInbox:
    """An SMTP server's handler that holds the `hold_at`-th message until released.

    refuse: the held message is answered 451 (not accepted: the sender died first).
    accept: the held message is kept, then answered 250 after the sender died.
    """

    def __init__(self, hold_at, mode):
        self.hold_at, self.mode = hold_at, mode
        self.messages, self.datas, self.held_message = [], 0, None
        self.held, self.release = threading.Event(), threading.Event()
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.datas += 1
            holding = self.datas == self.hold_at
            if not holding or self.mode == "accept":
                self.messages.append(message)
        if holding:
            self.held_message = message
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            if self.mode == "refuse":
                return "451 4.3.0 Try again later"
        return "250 Message accepted for delivery"

    def receipt_numbers(self):
        with self._lock:
            messages = list(self.messages)
        return [receipt_number(message) for message in messages]


def receipt_number(message):
    text, _html = parts(message)
    return re.search(r"\b([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-\d+)\b", text).group(1)


@pytest.fixture
def smtp_server():
    from tests.conftest import free_port

    started = []

    def start(hold_at, mode="refuse"):
        inbox = HoldingInbox(hold_at, mode)
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        started.append((inbox, controller))
        return inbox, controller.port

    yield start
    for inbox, controller in started:
        inbox.release.set()
        controller.stop()


class Workers:
    """`manage.py` subprocesses on the shared database, each stopped by its own pid."""

    def __init__(self, tmp_path):
        self.tmp_path, self.procs, self.env = tmp_path, [], None
        self.sqlite_path = None

    def share_database(self, smtp_port):
        if connection.vendor == "sqlite":
            self.sqlite_path = self.tmp_path / "shared.sqlite3"
            with connection.cursor() as cursor:
                cursor.execute("VACUUM INTO %s", [str(self.sqlite_path)])
            url = f"sqlite:///{self.sqlite_path}"
        else:
            s = connection.settings_dict
            url = (f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST'] or '127.0.0.1'}:"
                   f"{s['PORT'] or 5432}/{s['NAME']}")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DJANGO_", "DATABASE_URL", "TASKS_", "EMAIL_", "PYTEST"))}
        env.update({"DJANGO_SETTINGS_MODULE": "samizdat.settings", "DATABASE_URL": url,
                    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port),
                    "DEBUG": "0", "PYTHONDONTWRITEBYTECODE": "1"})
        self.env = env

    def start_worker(self, name):
        log = open(self.tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.1", "--no-reload",
             "--no-startup-delay", "--worker-id", name],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return proc

    def manage(self, *args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=300, check=True).stdout

    def rows(self, sql):
        if self.sqlite_path:
            with sqlite3.connect(self.sqlite_path) as db:
                return db.execute(sql).fetchall()
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()

    def task_statuses(self):
        rows = self.rows("SELECT status FROM django_tasks_database_dbtaskresult "
                         "WHERE task_path = 'samizdat.support.tasks.send_receipt'")
        return sorted(status for (status,) in rows)

    def stop_all(self):
        from tests.conftest import stop_processes

        stop_processes(self.procs)


@pytest.fixture
def workers(tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    running = Workers(tmp_path)
    yield running
    running.stop_all()


def eventually(check, what, timeout=300):
    """Wait for a condition of the worker and mail server (liveness, not speed: on a
    loaded CI machine each step starts a Django process, which took over 120 s once)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still not true after {timeout} s")
        time.sleep(0.2)


def _queue_receipts(count):
    expected = []
    for n in range(count):
        gift, entry = make_gift(f"reader{n}@example.org", 1000 + n, "USD")
        send_receipt.enqueue(entry.pk)
        expected.append(f"{gift.reference}-{entry.pk}")
    return expected


def _kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)


def test_receipts_arrive_once_when_the_worker_is_killed_mid_send(smtp_server, workers):
    inbox, port = smtp_server(hold_at=4, mode="refuse")
    expected = _queue_receipts(12)
    workers.share_database(port)

    first = workers.start_worker("first")
    assert inbox.held.wait(120), "the worker never reached the fourth receipt"
    _kill(first)  # SIGKILL while the mail server holds the fourth message
    inbox.release.set()
    assert len(inbox.receipt_numbers()) == 3
    assert workers.task_statuses().count("RUNNING") == 1  # django-tasks never runs it again

    workers.start_worker("second")
    eventually(lambda: "READY" not in workers.task_statuses(), "the rest of the queue")
    eventually(lambda: len(inbox.receipt_numbers()) == 11, "eleven receipts")
    assert workers.manage("send_pending_receipts", "--older-than", "0").strip() == \
        "Queued 1 receipt(s) that had not been sent."
    eventually(lambda: workers.task_statuses().count("SUCCESSFUL") == 12,
               "the recovered receipt's task")

    numbers = inbox.receipt_numbers()
    assert receipt_number(inbox.held_message) in numbers
    assert sorted(numbers) == sorted(expected)  # each receipt exactly once
    assert len({m["Message-ID"] for m in inbox.messages}) == 12
    sent = workers.rows("SELECT COUNT(*) FROM support_receiptdelivery "
                        "WHERE sent_at IS NOT NULL")
    assert sent == [(12,)]
    # Nothing left to recover: a second run queues nothing.
    assert workers.manage("send_pending_receipts", "--older-than", "0", "-v", "2").strip() == \
        "Queued 0 receipt(s) that had not been sent."


def test_a_receipt_accepted_just_as_the_worker_died_comes_again_with_the_same_message_id(
        smtp_server, workers):
    """The one window at-least-once leaves: the server took the message, the worker died
    before recording it. The copy carries the same Message-ID, which mail systems merge."""
    inbox, port = smtp_server(hold_at=2, mode="accept")
    expected = _queue_receipts(3)
    workers.share_database(port)

    first = workers.start_worker("first")
    assert inbox.held.wait(120)
    _kill(first)
    inbox.release.set()
    workers.start_worker("second")
    eventually(lambda: len(inbox.receipt_numbers()) == 3, "the third receipt")
    workers.manage("send_pending_receipts", "--older-than", "0")
    eventually(lambda: len(inbox.receipt_numbers()) == 4, "the copy of the second")

    numbers = inbox.receipt_numbers()
    held = receipt_number(inbox.held_message)
    assert sorted(set(numbers)) == sorted(expected)
    assert numbers.count(held) == 2 and len(numbers) == 4
    copies = [m["Message-ID"] for m, n in zip(inbox.messages, numbers, strict=True)
              if n == held]
    assert copies[0] == copies[1] and copies[0].startswith("<receipt-")
