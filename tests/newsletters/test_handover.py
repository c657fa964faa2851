"""Handing an issue to a mail server that offers PIPELINING (RFC 2920), as Postfix does:
the commands of a message go together, every reply is still judged (a 5xx at RCPT TO
suppresses that reader, a 4xx pauses the send), and a worker that dies, or a
connection lost, with messages handed over never makes a reader get the issue twice.

The server here is a small SMTP server on loopback that answers as Postfix does: it
reads what has arrived, and writes its replies once its input is empty. It records
which commands came in one read, and each message's bytes."""

import email
import email.policy
import smtplib
import socket
import threading
from contextlib import closing
from datetime import timedelta

import pytest
from django.utils import timezone

from samizdat.core.crypto import blind_index
from samizdat.newsletters import batches, sending
from samizdat.newsletters.models import Delivery, Issue, Newsletter, Subscriber, Subscription
from tests.conftest import free_port

pytestmark = pytest.mark.django_db


class PipeliningServer:
    """refuse: address -> reply at RCPT TO. drop_after_data: close the connection after
    reading that many messages' final dot, without answering the last."""

    def __init__(self, refuse=None, drop_after_data=None, pipelining=True):
        self.refuse = refuse or {}
        self.drop_after_data = drop_after_data
        self.pipelining = pipelining
        self.messages, self.envelopes, self.reads = [], [], []
        self.port = free_port()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                sock, _address = self.listener.accept()
            except OSError:
                return
            with sock:
                self.session(sock)

    def session(self, sock):
        buffer, replies, data = b"", [], None
        mail, rcpts, group = None, [], []

        def flush():
            if replies:
                sock.sendall(b"".join(replies))
                replies.clear()
            if group:
                self.reads.append(tuple(group))
                group.clear()

        sock.sendall(b"220 test ESMTP\r\n")
        while True:
            if b"\r\n" not in buffer:
                flush()  # input is empty: answer what was asked
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                continue
            line, buffer = buffer.split(b"\r\n", 1)
            if data is not None:
                if line != b".":
                    data.append(line[1:] if line.startswith(b"..") else line)
                    continue
                group.append("message")
                self.messages.append(email.message_from_bytes(
                    b"\r\n".join(data) + b"\r\n", policy=email.policy.default))
                self.envelopes.append((mail, list(rcpts)))
                data, mail, rcpts = None, None, []
                if self.drop_after_data == len(self.messages):
                    return  # the connection is lost before the answer
                replies.append(b"250 2.0.0 Ok: queued\r\n")
                continue
            verb = line.split(b":")[0].split(b" ")[0].upper().decode()
            group.append(verb)
            if verb == "EHLO":
                offered = b"250-PIPELINING\r\n" if self.pipelining else b""
                replies.append(b"250-test\r\n" + offered + b"250 8BITMIME\r\n")
            elif verb == "MAIL":
                mail = line.split(b":", 1)[1].split(b">")[0].strip(b" <").decode()
                replies.append(b"250 2.1.0 Ok\r\n")
            elif verb == "RCPT":
                address = line.split(b":", 1)[1].strip(b" <>").decode()
                if address in self.refuse:
                    replies.append(self.refuse[address].encode() + b"\r\n")
                else:
                    rcpts.append(address)
                    replies.append(b"250 2.1.5 Ok\r\n")
            elif verb == "DATA":
                if rcpts:
                    data = []
                    replies.append(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                else:
                    replies.append(b"554 5.5.1 Error: no valid recipients\r\n")
            elif verb == "RSET":
                mail, rcpts = None, []
                replies.append(b"250 2.0.0 Ok\r\n")
            elif verb == "QUIT":
                replies.append(b"221 2.0.0 Bye\r\n")
                flush()
                return
            else:
                replies.append(b"502 5.5.2 Error: command not recognized\r\n")

    def received(self):
        return sorted(rcpt for _mail, rcpts in self.envelopes for rcpt in rcpts)

    def stop(self):
        self.listener.close()


@pytest.fixture
def server(settings):
    started = []

    def start(**options):
        found = PipeliningServer(**options)
        started.append(found)
        settings.NEWSLETTERS_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.NEWSLETTERS_EMAIL_OPTIONS = {"host": "127.0.0.1", "port": found.port,
                                              "timeout": 5}
        return found

    yield start
    for each in started:
        each.stop()


@pytest.fixture(autouse=True)
def _no_worker(monkeypatch):
    """Send only when the test calls send_batch (no task queue)."""
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: None)


@pytest.fixture
def weekly():
    return Newsletter.objects.create(name="The Weekly Samizdat", cadence="weekly",
                                     sender_name="Samizdat Weekly",
                                     sender_address="news@samizdat.example")


def readers(newsletter, count, prefix="reader"):
    addresses = [f"{prefix}{number}@example.org" for number in range(count)]
    for address in addresses:
        Subscription.objects.create(subscriber=Subscriber.objects.create(email=address),
                                    newsletter=newsletter, source="page",
                                    confirmed=timezone.now())
    return addresses


def started(newsletter, body="Every reader's copy.\n.A line that starts with a dot."):
    issue = Issue.objects.create(newsletter=newsletter, subject="Floods", body=body)
    sending.start(issue.pk)
    return issue


def finish(issue):
    while sending.send_batch(issue.pk)[1]:
        pass
    issue.refresh_from_db()
    return issue


def test_each_envelope_goes_in_one_write_and_every_message_arrives_whole(server, weekly):
    inbox = server()
    addresses = readers(weekly, 5)
    issue = finish(started(weekly))
    assert issue.status == Issue.Status.SENT
    assert inbox.received() == addresses
    # MAIL FROM, RCPT TO and DATA of a message came in one read: no waiting between.
    assert inbox.reads[0] == ("EHLO",)
    envelopes = [read for read in inbox.reads if "MAIL" in read]
    assert len(envelopes) == 5
    assert all(read[read.index("MAIL"):][:3] == ("MAIL", "RCPT", "DATA") for read in envelopes)
    for message, (_mail, (rcpt,)) in zip(inbox.messages, inbox.envelopes, strict=True):
        assert message["To"] == rcpt and message["Subject"] == "Floods"
        assert message["From"] == "Samizdat Weekly <news@samizdat.example>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = message["List-Unsubscribe"].strip().strip("<>")
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert link in text  # this reader's own link, in the body too
        assert ".A line that starts with a dot." in text.splitlines()  # dots unstuffed
    assert len({m["List-Unsubscribe"] for m in inbox.messages}) == 5
    assert len({m["Message-ID"] for m in inbox.messages}) == 5
    assert Delivery.objects.filter(issue=issue, sent_at__isnull=False).count() == 5


def test_without_pipelining_offered_each_command_waits_for_its_reply(server, weekly):
    inbox = server(pipelining=False)
    addresses = readers(weekly, 3)
    assert finish(started(weekly)).status == Issue.Status.SENT
    assert inbox.received() == addresses
    assert all(len([verb for verb in read if verb != "message"]) <= 1 for read in inbox.reads)


def test_a_5xx_at_rcpt_suppresses_that_reader_and_the_others_get_it(server, weekly):
    inbox = server(refuse={"reader1@example.org": "550 5.1.1 No such user"})
    addresses = readers(weekly, 4)
    issue = finish(started(weekly))
    assert issue.status == Issue.Status.SENT and issue.bounced_count == 1
    assert inbox.received() == [a for a in addresses if a != "reader1@example.org"]
    assert Subscriber.objects.get(email_index=blind_index(
        "reader1@example.org")).suppressed == "bounced"


def test_a_4xx_at_rcpt_pauses_then_resume_sends_the_rest_once(server, weekly):
    inbox = server(refuse={"reader2@example.org": "450 4.2.1 Try again later"})
    addresses = readers(weekly, 5)
    issue = started(weekly)
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        sending.send_batch(issue.pk)
    assert inbox.received() == addresses[:2]
    assert sending.progress(issue) == {"total": 5, "sent": 2, "uncertain": 0, "pending": 3}
    assert not Delivery.objects.filter(handed_at__isnull=False, sent_at__isnull=True).exists()
    assert not Subscriber.objects.exclude(suppressed="").exists()
    inbox.refuse.clear()
    assert finish(issue).status == Issue.Status.SENT
    assert inbox.received() == addresses


def test_a_connection_lost_after_the_final_dot_leaves_that_reader_uncertain(
        server, weekly, settings):
    """The server may have filed the message before the connection went: sending it
    again could deliver it twice, so it is not sent again but counted as uncertain."""
    inbox = server(drop_after_data=3)
    addresses = readers(weekly, 6)
    issue = started(weekly)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        sending.send_batch(issue.pk)
    assert sending.progress(issue)["sent"] == 2
    inbox.drop_after_data = None
    # Before the lease runs out the doubtful one is neither sent nor given up.
    assert sending.send_batch(issue.pk) == (3, True)
    Delivery.objects.filter(sent_at__isnull=True).update(
        claimed_at=timezone.now() - timedelta(seconds=sending.claim_seconds() + 1))
    assert finish(issue).status == Issue.Status.SENT
    assert inbox.received().count("reader2@example.org") == 1  # the doubtful one, once
    assert inbox.received() == addresses
    assert sending.progress(issue) == {"total": 6, "sent": 5, "uncertain": 1, "pending": 0}


def test_a_worker_killed_mid_batch_never_sends_anyone_twice(server, weekly, settings,
                                                           monkeypatch):
    """A kill stops the worker between two instructions: nothing after it is written.
    Every delivery is marked handed over before its message goes out, so the restarted
    worker skips the ones that may have arrived; at most one chunk is uncertain."""
    settings.NEWSLETTERS_HANDOVER_CHUNK = 4
    settings.NEWSLETTERS_BATCH_SIZE = 10
    inbox = server()
    addresses = readers(weekly, 10)
    issue = started(weekly)
    real = batches.handover

    class Killed(BaseException):
        pass

    def killed_after_six(connection, items, before_data):
        with closing(real(connection, items, before_data)) as outcomes:
            for number, outcome in enumerate(outcomes, start=1):
                yield outcome
                if number == 6:
                    raise Killed  # after the 250 of the 6th, before anything is written

    monkeypatch.setattr(batches, "handover", killed_after_six)
    with pytest.raises(Killed):
        sending.send_batch(issue.pk)
    monkeypatch.setattr(batches, "handover", real)
    delivered = inbox.received()
    assert len(delivered) == 6
    # The restarted worker waits for the dead one's lease, then sends the rest once.
    assert sending.send_batch(issue.pk) == (0, True)
    Delivery.objects.update(
        claimed_at=timezone.now() - timedelta(seconds=sending.claim_seconds() + 1))
    assert finish(issue).status == Issue.Status.SENT
    assert sorted(set(inbox.received())) == inbox.received()  # no one twice
    progress = sending.progress(issue)
    assert 0 < progress["uncertain"] <= 4 and progress["pending"] == 0
    # Everyone either got the issue or is counted as uncertain.
    missing = set(addresses) - set(inbox.received())
    assert len(missing) <= progress["uncertain"]
    assert progress["sent"] + progress["uncertain"] == 10


def test_marks_are_written_a_chunk_at_a_time(server, weekly, settings):
    """One commit per chunk of handed-over deliveries (with the sent marks since the
    last), not one per message."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    server()
    counts = {}
    for size in (5, 15):
        letter = Newsletter.objects.create(name=f"List of {size}",
                                           sender_address="news@samizdat.example")
        readers(letter, size, prefix=f"r{size}-")
        settings.NEWSLETTERS_BATCH_SIZE = size
        settings.NEWSLETTERS_HANDOVER_CHUNK = 20
        issue = started(letter, body="Text only.")
        with CaptureQueriesContext(connection) as queries:
            assert sending.send_batch(issue.pk) == (size, False)
        counts[size] = len(queries)
    assert counts[15] <= counts[5]  # 10 more messages, not one query more


def test_the_send_page_counts_the_uncertain_ones_and_names_no_one(client, django_user_model,
                                                                 settings, weekly):
    from django.contrib.auth.models import Permission

    addresses = readers(weekly, 3)
    issue = started(weekly)
    stale = timezone.now() - timedelta(seconds=sending.claim_seconds() + 1)
    first, second, third = Delivery.objects.filter(issue=issue).order_by("pk")
    Delivery.objects.filter(pk=first.pk).update(sent_at=timezone.now())
    # The worker died after marking the second handed over, before its answer came.
    Delivery.objects.filter(pk=second.pk).update(claimed_at=stale, handed_at=stale)
    settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = False
    user = django_user_model.objects.create_user(username="ed", password="x")
    user.user_permissions.add(*Permission.objects.filter(
        codename__in=["access_admin", "view_issue", "send_issue"]))
    client.force_login(user)
    page = client.get(f"/admin/newsletters/issues/{issue.pk}/send/").content.decode()
    assert "Sent 1 of 3; 1 left." in page
    assert "1 uncertain: handed to the mail server by a worker that stopped" in page
    assert not any(address in page for address in addresses)


def test_the_ledger_marks_a_chunk_handed_over_before_its_first_message(weekly):
    readers(weekly, 5)
    issue = started(weekly)
    ids = list(Delivery.objects.filter(issue=issue).order_by("pk").values_list("pk",
                                                                                flat=True))
    ledger = batches.Ledger(ids, chunk=2)

    def state():
        rows = Delivery.objects.filter(pk__in=ids).order_by("pk")
        return ["sent" if row.sent_at else "handed" if row.handed_at else "-"
                for row in rows]

    ledger.before_handover(ids[0])
    assert state() == ["handed", "handed", "-", "-", "-"]
    ledger.taken(ids[0])
    ledger.before_handover(ids[1])  # in the chunk already: no write
    ledger.taken(ids[1])
    assert state() == ["handed", "handed", "-", "-", "-"]
    ledger.before_handover(ids[2])  # one commit: the sent marks and the next chunk
    assert state() == ["sent", "sent", "handed", "handed", "-"]
    ledger.taken(ids[2])
    ledger.flush()
    assert state() == ["sent", "sent", "sent", "handed", "-"] and ledger.sent == 3


@pytest.mark.parametrize("address", [
    "reader@example.org", "first.last+news@mail.example.co.uk", "o'brien@example.org",
    "UPPER@Example.ORG", "a@b", "x_y-z@sub-domain.example",
    "Reader Name <reader@example.org>", "\"quoted local\"@example.org",
    "reader@пример.рф", "читатель@example.org", "dots..twice@example.org",
])
def test_an_envelope_address_is_what_django_would_send(address):
    from django.core.mail.message import sanitize_address

    from samizdat.newsletters.handover import envelope_address

    try:
        expected = smtplib.quoteaddr(sanitize_address(address, "utf-8"))
    except ValueError as error:
        with pytest.raises(ValueError, match=str(error)):
            envelope_address(address, "utf-8")
    else:
        assert envelope_address(address, "utf-8") == expected
