"""The outlet is no mailer for strangers, and refused addresses leave no trace.

A checkout started with someone else's address earns that address no e-mail;
"e-mail me once" reminders go out once per address whoever asks; one refused
address does not stop the others; and the address a mail server refused is in
no log line, task row or message cookie (issue: hardening, items 4, 6, 7, 8).
"""

import datetime
import logging
import re

import pytest
from aiosmtpd.controller import Controller
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from samizdat.appeals.models import AppealSettings, EmailReminder
from samizdat.support.crypto import blind_index
from samizdat.support.tasks import send_manage_link
from tests.smtp import Inbox

from .rows import make_gift

pytestmark = pytest.mark.django_db

REMINDER_URL = "/appeals/remind-me-by-email/30/"


class RefusingInbox(Inbox):
    """A real SMTP server that answers 550 for the addresses in `refuse`."""

    def __init__(self, refuse):
        super().__init__()
        self.refuse = {address.lower() for address in refuse}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_smtp(settings):
    from tests.conftest import free_port

    def start(*refuse):
        inbox = RefusingInbox(refuse)
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER = False, ""
        return inbox

    started = []
    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def reminders_on(db):
    switches = AppealSettings.load()
    switches.email_reminders = True
    switches.save()


def run_queued_tasks():
    """What `manage.py db_worker` does with each queued row, in this process (the
    command itself closes the test's database connection when it stops)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                    startup_delay=False, max_tasks=None, worker_id="test",
                    excluded_queue_names=[])
    for row in DBTaskResult.objects.filter(status="READY").order_by("enqueued_at"):
        worker.run_task(row)


def _start_checkout(client, email):
    response = client.post("/support/", {"frequency": "once", "currency": "USD", "amount": "25",
                                         "email": email, "method": "demo", "website": ""})
    assert response.status_code == 302
    return response["Location"]


def test_a_manage_link_goes_only_to_an_address_that_paid(client, refusing_smtp):
    inbox = refusing_smtp()
    _start_checkout(client, "victim@example.org")  # never paid
    make_gift("supporter@example.org")

    assert send_manage_link.call(blind_index("victim@example.org"), "en") is False
    assert send_manage_link.call(blind_index("supporter@example.org"), "en") is True
    messages = inbox.wait_for(1)
    assert [m["To"] for m in messages] == ["supporter@example.org"]
    # The page that asked answers the same either way.
    asked = [client.post("/support/manage/", {"email": address}) for address in
             ("victim@example.org", "supporter@example.org")]
    assert {(r.status_code, r["Location"]) for r in asked} == {(302, "/support/manage/sent/")}


def test_twenty_reminder_requests_for_one_address_send_one_message(client, reminders_on,
                                                                    refusing_smtp):
    inbox = refusing_smtp()
    for _ in range(20):
        response = client.post(REMINDER_URL, {"email": "victim@example.org", "consent": "on"})
        assert response.status_code == 200  # the same answer every time
    assert EmailReminder.objects.count() == 1
    assert send_due_reminders_on(timezone.localdate() + datetime.timedelta(days=30)) == 1
    assert len(inbox.wait_for(1)) == 1


def test_reminder_requests_are_limited_per_client(client, reminders_on, settings):
    settings.APPEALS_REMINDER_LIMIT = (3, 3600)
    codes = [client.post(REMINDER_URL, {"email": f"r{n}@example.org", "consent": "on"}).status_code
             for n in range(4)]
    assert codes == [200, 200, 200, 429]
    assert EmailReminder.objects.count() == 3
    other = client.post(REMINDER_URL, {"email": "r9@example.org", "consent": "on"},
                        REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200  # another reader is not locked out


def send_due_reminders_on(day):
    from samizdat.appeals.reminders import send_due_reminders

    return send_due_reminders(today=day)


def test_a_refused_reminder_address_does_not_block_the_others_nor_reach_the_log(
        refusing_smtp, caplog, capsys):
    from samizdat.appeals.reminders import create_email_reminder

    inbox = refusing_smtp("gone@example.org")
    today = timezone.localdate()
    for address in ("first@example.org", "gone@example.org", "last@example.org"):
        create_email_reminder(address, 1, "en", today=today - datetime.timedelta(days=1))
    caplog.set_level(logging.DEBUG)
    call_command("run_periodic", "--once")  # as production runs it, all jobs
    delivered = sorted(str(m["To"]) for m in inbox.wait_for(2))
    assert delivered == ["first@example.org", "last@example.org"]
    assert EmailReminder.objects.count() == 0  # refused for good: deleted, as promised
    assert "refused" in caplog.text
    output = caplog.text + "".join(capsys.readouterr())
    assert "gone@example.org" not in output


def test_a_refused_receipt_leaves_no_address_in_the_task_row(refusing_smtp, settings):
    from django_tasks_db.models import DBTaskResult

    from samizdat.support.tasks import send_receipt

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    refusing_smtp("bounced@example.org")
    _gift, entry = make_gift("bounced@example.org")
    send_receipt.enqueue(entry.pk)
    run_queued_tasks()
    row = DBTaskResult.objects.get(task_path="samizdat.support.tasks.send_receipt")
    assert row.status == "FAILED"
    assert "SMTPRecipientsRefused" in row.traceback  # what failed is still there
    assert "bounced" not in row.traceback and "[address]" in row.traceback


def test_the_log_filter_redacts_addresses_in_messages_and_tracebacks():
    from samizdat.redact import RedactAddresses

    try:
        raise ValueError("refused: {'someone@example.org': (550, b'no')}")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sending to %s failed",
                                   ("someone@example.org",), sys.exc_info())
    assert RedactAddresses().filter(record)
    assert record.getMessage() == "sending to [address] failed"
    assert "someone" not in record.exc_text and "[address]" in record.exc_text


def test_erasure_removes_the_task_rows_and_sessions_that_name_the_supporter(client, settings,
                                                                            refusing_smtp):
    from django_tasks_db.models import DBTaskResult

    from samizdat.support.retention import forget_supporter

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    inbox = refusing_smtp()
    gift, _entry = make_gift("leaving@example.org")
    make_gift("staying@example.org")
    for address in ("leaving@example.org", "staying@example.org"):
        assert client.post("/support/manage/", {"email": address}).status_code == 302
    run_queued_tasks()
    link = re.search(r"/support/manage/link/\S+/", inbox.wait_for(2)[0].get_body(
        preferencelist=("plain",)).get_content()).group(0)
    assert client.post(link).status_code == 302  # a signed-in self-service session
    assert Session.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="send_manage_link").count() == 2

    forget_supporter(gift.supporter)

    assert Session.objects.count() == 0  # the leaving supporter's self-service session
    remaining = DBTaskResult.objects.filter(task_path__endswith="send_manage_link")
    assert remaining.count() == 1
    assert blind_index("staying@example.org") in str(remaining.get().args_kwargs)


def test_prune_records_deletes_old_finished_task_rows_and_expired_sessions(settings):
    from django_tasks_db.models import DBTaskResult

    from samizdat.support.tasks import send_manage_link as task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    old, recent, waiting = (task.enqueue("x" * 64, "en") for _ in range(3))
    long_ago = timezone.now() - datetime.timedelta(days=8)
    DBTaskResult.objects.filter(id=old.id).update(status="SUCCESSFUL", finished_at=long_ago)
    DBTaskResult.objects.filter(id=recent.id).update(status="FAILED",
                                                     finished_at=timezone.now())
    Session.objects.create(session_key="expired" * 4, session_data="e30:1",
                           expire_date=long_ago)
    call_command("prune_records", verbosity=0)
    assert set(DBTaskResult.objects.values_list("id", flat=True)) == {
        __import__("uuid").UUID(str(recent.id)), __import__("uuid").UUID(str(waiting.id))}
    assert not Session.objects.filter(session_key="expired" * 4).exists()


def test_no_address_in_the_message_or_any_cookie_after_asking_for_a_receipt_copy(
        client, refusing_smtp):
    inbox = refusing_smtp()
    _gift, entry = make_gift("private.reader@example.org")
    assert send_manage_link.call(blind_index("private.reader@example.org"), "en") is True
    link = re.search(r"/support/manage/link/\S+/", inbox.wait_for(1)[0].get_body(
        preferencelist=("plain",)).get_content()).group(0)
    client.post(link)
    response = client.post(f"/support/manage/receipts/{entry.pk}/send/", follow=True)
    assert "A copy of the receipt is on its way to your e-mail address." in \
        response.content.decode()
    import base64

    for cookie in client.cookies.values():
        raw = cookie.value
        decoded = ""
        try:
            decoded = base64.urlsafe_b64decode(raw.split(":")[0] + "==").decode("latin-1")
        except ValueError:
            pass
        assert "private.reader" not in raw and "private.reader" not in decoded, cookie.key
