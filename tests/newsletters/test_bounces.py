"""Bounces and complaints suppress an address; counts per issue only; bulk mail on its own
connection at a configurable rate. Real SMTP on loopback (aiosmtpd) and anymail's own
Mailgun webhook view with its signature check."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from samizdat.core.crypto import blind_index
from samizdat.newsletters import sending
from samizdat.newsletters.models import Delivery, Issue, Newsletter, Subscriber, Subscription
from tests.conftest import free_port
from tests.smtp import Inbox

pytestmark = pytest.mark.django_db

SIGNING_KEY = "key-webhook-signing"
BASIC = "hooks:s3cret"


class RefusingInbox(Inbox):
    """Refuses some recipients at RCPT TO with the given reply, as a real MTA does."""

    def __init__(self, refuse):
        super().__init__()
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def bulk_server(settings):
    """A second SMTP server for newsletters only; receipts stay on EMAIL_BACKEND (locmem)."""
    servers = []

    def start(refuse=None):
        inbox = RefusingInbox(refuse or {})
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        servers.append(controller)
        settings.NEWSLETTERS_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.NEWSLETTERS_EMAIL_OPTIONS = {
            "host": "127.0.0.1",
            "port": port,
            "use_tls": False,
            "username": "",
            "password": "",
        }
        return inbox

    yield start
    for controller in servers:
        controller.stop()


@pytest.fixture(autouse=True)
def _run_on_commit(monkeypatch):
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: callback())


@pytest.fixture
def weekly():
    return Newsletter.objects.create(
        name="The Weekly Samizdat", cadence="weekly", sender_address="news@samizdat.example"
    )


def subscribe(newsletter, *emails):
    for email in emails:
        Subscription.objects.create(
            subscriber=Subscriber.objects.create(email=email),
            newsletter=newsletter,
            source="page",
            confirmed=timezone.now(),
        )


def send(newsletter, subject="Floods"):
    issue = Issue.objects.create(newsletter=newsletter, subject=subject, body="The story.")
    try:
        sending.start(issue.pk)
    finally:
        issue.refresh_from_db()
    return issue


def received(inbox):
    return sorted(r for envelope in inbox.envelopes for r in envelope.rcpt_tos)


def test_a_permanent_refusal_at_handover_suppresses_the_address(bulk_server, weekly, mailoutbox):
    inbox = bulk_server({"dead@example.org": "550 5.1.1 No such user"})
    subscribe(weekly, "a@example.org", "dead@example.org", "b@example.org")
    issue = send(weekly)
    assert received(inbox) == ["a@example.org", "b@example.org"]
    assert mailoutbox == []  # the bulk connection, not the receipts' one
    assert issue.status == Issue.Status.SENT and issue.bounced_count == 1
    dead = Subscriber.objects.get(email_index=blind_index("dead@example.org"))
    assert dead.suppressed == "bounced"
    # The next issue does not even try the dead address.
    following = send(weekly, "Next week")
    assert following.deliveries.count() == 2 and following.status == Issue.Status.SENT
    assert received(inbox) == ["a@example.org", "a@example.org", "b@example.org", "b@example.org"]


def test_a_temporary_refusal_pauses_and_suppresses_no_one(bulk_server, weekly):
    inbox = bulk_server({"busy@example.org": "450 4.2.1 Try again later"})
    subscribe(weekly, "a@example.org", "busy@example.org", "b@example.org")
    issue = send(weekly)  # the task fails (the worker logs it) and the issue waits
    assert issue.status == Issue.Status.SENDING and issue.bounced_count == 0
    assert not Subscriber.objects.exclude(suppressed="").exists()
    assert received(inbox) == ["a@example.org"]
    inbox.refuse.clear()
    sending.send_batch(issue.pk)
    assert received(inbox) == ["a@example.org", "b@example.org", "busy@example.org"]


def test_the_send_rate_is_kept(bulk_server, weekly, settings):
    inbox = bulk_server()
    subscribe(weekly, *[f"r{n}@example.org" for n in range(6)])
    settings.NEWSLETTERS_SEND_RATE = 10
    started = time.monotonic()
    send(weekly)
    elapsed = time.monotonic() - started
    assert len(inbox.messages) == 6
    assert elapsed >= 0.5  # five gaps of a tenth of a second


# --- anymail's tracking webhooks (Mailgun's format and signature) ---------------------


@pytest.fixture
def mailgun(settings):
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": BASIC}


def post_event(client, event, recipient, issue=None, key=SIGNING_KEY, **extra):
    timestamp, token = str(int(time.time())), f"tok-{time.monotonic_ns()}"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "event": event,
        "recipient": recipient,
        "timestamp": time.time(),
        "user-variables": {"newsletter_issue": str(issue.pk)} if issue else {},
        **extra,
    }
    body = {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": data,
    }
    auth = "Basic " + base64.b64encode(BASIC.encode()).decode()
    return client.post(
        "/newsletters/anymail/mailgun/tracking/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
    )


def sent_issue(weekly, *emails):
    subscribe(weekly, *emails)
    issue = Issue.objects.create(
        newsletter=weekly, subject="Floods", body="Text.", status=Issue.Status.SENT
    )
    return issue


def test_a_hard_bounce_and_a_complaint_suppress_and_count(client, mailgun, weekly):
    issue = sent_issue(weekly, "gone@example.org", "angry@example.org", "fine@example.org")
    assert (
        post_event(client, "failed", "gone@example.org", issue, severity="permanent").status_code
        == 200
    )
    assert post_event(client, "complained", "Angry@Example.org", issue).status_code == 200
    assert post_event(client, "delivered", "fine@example.org", issue).status_code == 200
    assert (
        post_event(client, "failed", "fine@example.org", issue, severity="temporary").status_code
        == 200
    )  # soft: deferred
    issue.refresh_from_db()
    assert (issue.delivered_count, issue.bounced_count, issue.complained_count) == (1, 1, 1)
    suppressed = dict(
        Subscriber.objects.exclude(suppressed="").values_list("email_index", "suppressed")
    )
    assert suppressed == {
        blind_index("gone@example.org"): "bounced",
        blind_index("angry@example.org"): "complained",
    }
    following = send(weekly, "Next")
    assert [d.subscription.subscriber.email for d in following.deliveries.all()] == [
        "fine@example.org"
    ]


def test_a_badly_signed_webhook_changes_nothing(client, mailgun, weekly):
    issue = sent_issue(weekly, "reader@example.org")
    response = post_event(client, "complained", "reader@example.org", issue, key="not-the-key")
    assert response.status_code == 400
    issue.refresh_from_db()
    assert issue.complained_count == 0
    assert not Subscriber.objects.exclude(suppressed="").exists()


def test_an_unsubscribe_counts_against_the_last_issue_received(client, weekly):
    subscribe(weekly, "reader@example.org")
    issue = Issue.objects.create(newsletter=weekly, subject="Floods", body="Text.")
    subscription = Subscription.objects.get()
    Delivery.objects.create(issue=issue, subscription=subscription, sent_at=timezone.now())
    from samizdat.newsletters.render import unsubscribe_token

    client.post(
        f"/newsletters/unsubscribe/{unsubscribe_token(subscription)}/",
        {"List-Unsubscribe": "One-Click"},
    )
    issue.refresh_from_db()
    assert issue.unsubscribed_count == 1 and not Subscription.objects.exists()


def test_the_send_page_shows_the_counts_and_no_reader(
    client, django_user_model, settings, bulk_server, weekly
):
    from django.contrib.auth.models import Permission

    bulk_server({"dead@example.org": "550 5.1.1 No such user"})
    subscribe(weekly, "a@example.org", "dead@example.org")
    issue = send(weekly)
    settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = False
    user = django_user_model.objects.create_user(username="ed", password="x")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["access_admin", "view_issue", "send_issue"])
    )
    client.force_login(user)
    page = client.get(f"/admin/newsletters/issues/{issue.pk}/send/").content.decode()
    assert "bounced: 1 · complaints: 0 · unsubscribed: 0" in page
    assert "dead@example.org" not in page
    listing = client.get("/admin/snippets/newsletters/issue/").content.decode()
    assert "Bounced" in listing or "bounced" in listing


def test_a_reader_paused_or_suppressed_during_a_send_gets_nothing_more(
    bulk_server, weekly, settings, monkeypatch
):
    inbox = bulk_server()
    subscribe(weekly, "a@example.org", "pauses@example.org", "bounced@example.org")
    settings.NEWSLETTERS_BATCH_SIZE = 1
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: None)  # no worker
    issue = Issue.objects.create(newsletter=weekly, subject="Floods", body="Text.")
    sending.start(issue.pk)
    assert sending.send_batch(issue.pk) == (1, True)
    assert received(inbox) == ["a@example.org"]
    Subscriber.objects.filter(email_index=blind_index("pauses@example.org")).update(paused=True)
    Subscriber.objects.filter(email_index=blind_index("bounced@example.org")).update(
        suppressed="bounced"
    )
    while sending.send_batch(issue.pk)[1]:
        pass
    issue.refresh_from_db()
    assert received(inbox) == ["a@example.org"] and issue.status == Issue.Status.SENT
