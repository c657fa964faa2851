"""Sending an issue through a real SMTP server on loopback (aiosmtpd), each message parsed
with Python's email package: the article in full in both parts, nothing that tracks,
RFC 8058 one-click unsubscribe, and a send that resumes without sending anyone twice."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from samizdat.core.crypto import blind_index
from samizdat.newsletters import batches, sending
from samizdat.newsletters.models import Delivery, Issue, Newsletter, Subscriber, Subscription
from tests.news.discovery_factories import author, newsroom, picture, publish_article, section
from tests.smtp import parts, smtp_inbox  # noqa: F401

pytestmark = pytest.mark.django_db


def subscribe(newsletter, email, confirmed=True):
    subscriber = Subscriber.objects.create(email=email)
    return Subscription.objects.create(
        subscriber=subscriber, newsletter=newsletter, source="page",
        confirmed=timezone.now() if confirmed else None)


@pytest.fixture
def article(db):
    newsroom()
    return publish_article(
        section(), "Dam breaks upstream", authors=[author("ana", "Ana Reporter")],
        standfirst="Villages evacuated overnight.", image=picture("Flooded street"),
        body=[{"type": "paragraph", "value": "<p>Water reached the <b>square</b> at dawn.</p>"},
              {"type": "heading", "value": "What officials say"},
              {"type": "image", "value": {"image": picture("Rescue boat").pk, "caption": ""}},
              {"type": "paragraph", "value": "<p>The last paragraph of the story.</p>"}])


@pytest.fixture
def weekly():
    return Newsletter.objects.create(name="The Weekly Samizdat", sender_name="Samizdat Weekly",
                                     sender_address="news@samizdat.example",
                                     reply_to="desk@samizdat.example", cadence="weekly")


def issue_of(newsletter, article=None, subject="Floods: the full story", body=""):
    return Issue.objects.create(newsletter=newsletter, article=article, subject=subject,
                                body=body)


@pytest.fixture(autouse=True)
def _run_on_commit(monkeypatch):
    """Tests run inside a transaction that never commits: run the queued batch at once,
    as the worker would after the Send button's transaction committed."""
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: callback())


def send(issue):
    sending.start(issue.pk)
    issue.refresh_from_db()
    return issue


def recipients(inbox):
    return sorted(rcpt for envelope in inbox.envelopes for rcpt in envelope.rcpt_tos)


def test_the_article_arrives_in_full_as_html_and_text(smtp_inbox, weekly, article):  # noqa: F811
    subscribe(weekly, "reader@example.org")
    issue = send(issue_of(weekly, article))
    [message] = smtp_inbox.wait_for(1)
    assert issue.status == Issue.Status.SENT and issue.sent_at is not None
    text, html = parts(message)
    for part in (text, html):
        assert "Dam breaks upstream" in part and "Villages evacuated overnight." in part
        assert "What officials say" in part and "The last paragraph of the story." in part
        assert settings.SITE_URL + article.url in part
        assert settings.SITE_URL + "/mirrors/" in part
    assert "Water reached the square at dawn." in text
    assert "Water reached the <b>square</b> at dawn." in html
    images = re.findall(r'<img[^>]+src="([^"]+)"', html)
    assert len(images) == 2
    site = urlsplit(settings.SITE_URL).netloc
    assert all(urlsplit(src).netloc == site for src in images)
    assert all(src in text for src in images)
    assert message["Subject"] == "Floods: the full story"
    assert message["From"].addresses[0].display_name == "Samizdat Weekly"
    assert message["Reply-To"] == "desk@samizdat.example"
    assert message["Message-ID"] and message["Date"]


def test_no_tracking_only_links_to_our_site_and_the_unsubscribe_link(smtp_inbox, weekly,  # noqa: F811
                                                                     article):
    subscribe(weekly, "one@example.org")
    subscribe(weekly, "two@example.org")
    send(issue_of(weekly, article))
    first, second = smtp_inbox.wait_for(2)
    html_one, html_two = parts(first)[1], parts(second)[1]
    hosts = {urlsplit(url).netloc for url in re.findall(r'(?:href|src)="([^"]+)"', html_one)}
    assert hosts == {urlsplit(settings.SITE_URL).netloc,
                     urlsplit(settings.SAMIZDAT_DONATION_ORIGIN).netloc}
    # The two readers' messages differ only by the unsubscribe link.
    token = re.compile(r"/newsletters/unsubscribe/[^/\"]+/")
    assert token.findall(html_one) != token.findall(html_two)
    assert token.sub("", html_one) == token.sub("", html_two)


def raw_words(raw, name):
    """A header's words as sent (unfolded): the URLs in plain ASCII, as RFC 8058 clients
    read them, not as RFC 2047 encoded words."""
    headers = raw.split(b"\r\n\r\n")[0].replace(b"\r\n ", b" ").decode("ascii")
    [line] = [h for h in headers.split("\r\n") if h.startswith(f"{name}:")]
    return line.split()[1:]


def test_list_headers_follow_rfc_8058(smtp_inbox, weekly, article, settings):  # noqa: F811
    settings.NEWSLETTERS_UNSUBSCRIBE_MAILTO = "unsubscribe@samizdat.example"
    subscribe(weekly, "reader@example.org")
    send(issue_of(weekly, article))
    [message] = smtp_inbox.wait_for(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    links = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    assert links[0].startswith(settings.SAMIZDAT_DONATION_ORIGIN + "/newsletters/unsubscribe/")
    assert links[1] == "mailto:unsubscribe@samizdat.example?subject=unsubscribe"
    raw = smtp_inbox.envelopes[0].content
    assert raw_words(raw, "List-Unsubscribe") == [f"<{links[0]}>,", f"<{links[1]}>"]
    assert f"<newsletter-{weekly.pk}." in message["List-Id"]
    assert "The Weekly Samizdat" in message["List-Id"]
    assert links[0] in parts(message)[0]


def test_a_one_click_post_unsubscribes_at_once(smtp_inbox, weekly, article, client):  # noqa: F811
    client.handler.enforce_csrf_checks = True
    subscription = subscribe(weekly, "reader@example.org")
    send(issue_of(weekly, article))
    [message] = smtp_inbox.wait_for(1)
    url = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])[0]
    assert raw_words(smtp_inbox.envelopes[0].content, "List-Unsubscribe") == [f"<{url}>"]
    path = urlsplit(url).path
    page = client.get(path)
    assert page.status_code == 200 and "<button" in page.content.decode()
    assert Subscription.objects.filter(pk=subscription.pk).exists()  # a GET changes nothing
    response = client.post(path, "List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert not Subscription.objects.filter(pk=subscription.pk).exists()
    assert not Subscriber.objects.exists()
    assert client.post(path).status_code == 200  # a second click: still a clear page
    send(issue_of(weekly, subject="Next week"))
    assert len(smtp_inbox.messages) == 1


def test_a_tampered_unsubscribe_link_changes_nothing(client, weekly):
    subscription = subscribe(weekly, "reader@example.org")
    from samizdat.newsletters.render import unsubscribe_token

    token = unsubscribe_token(subscription)
    response = client.post(f"/newsletters/unsubscribe/{token[:-2]}xx/")
    assert response.status_code == 404
    assert Subscription.objects.filter(pk=subscription.pk).exists()


def test_unconfirmed_and_other_lists_get_nothing(smtp_inbox, weekly, article):  # noqa: F811
    other = Newsletter.objects.create(name="Other")
    subscribe(weekly, "confirmed@example.org")
    subscribe(weekly, "pending@example.org", confirmed=False)
    subscribe(other, "other@example.org")
    send(issue_of(weekly, article))
    smtp_inbox.wait_for(1)
    assert recipients(smtp_inbox) == ["confirmed@example.org"]


def test_sending_twice_delivers_once_per_address(smtp_inbox, weekly, article, settings):  # noqa: F811
    settings.NEWSLETTERS_BATCH_SIZE = 2
    for number in range(5):
        subscribe(weekly, f"reader{number}@example.org")
    issue = send(issue_of(weekly, article))
    smtp_inbox.wait_for(5)
    assert issue.status == Issue.Status.SENT
    with pytest.raises(sending.NotSendable):
        sending.start(issue.pk)
    # A stray re-run an hour later, long after every claim's lease ran out.
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENDING)
    Delivery.objects.update(claimed_at=timezone.now() - timedelta(hours=1))
    sending.start(issue.pk)
    assert recipients(smtp_inbox) == [f"reader{n}@example.org" for n in range(5)]


def fail_the_third_message_once(inbox):
    """The mail server refuses the third message once, as one that goes away mid-batch."""
    accept, seen = inbox.handle_DATA, []

    async def handle_DATA(server, session, envelope):
        seen.append(envelope)
        if len(seen) == 3:
            return "451 Requested action aborted: local error"
        return await accept(server, session, envelope)

    inbox.handle_DATA = handle_DATA


def test_a_failure_mid_batch_then_resume_completes_without_duplicates(smtp_inbox, weekly,  # noqa: F811
                                                                      article):
    fail_the_third_message_once(smtp_inbox)
    for number in range(5):
        subscribe(weekly, f"reader{number}@example.org")
    issue = send(issue_of(weekly, article))
    assert issue.status == Issue.Status.SENDING
    assert len(smtp_inbox.messages) == 2
    assert sending.progress(issue) == {"total": 5, "sent": 2, "uncertain": 0,
                                       "pending": 3}
    issue = send(issue)
    smtp_inbox.wait_for(5)
    assert issue.status == Issue.Status.SENT
    assert recipients(smtp_inbox) == [f"reader{n}@example.org" for n in range(5)]


def test_a_claim_left_by_a_dead_worker_is_taken_over_only_after_the_lease(
        smtp_inbox, weekly, article):  # noqa: F811
    subscription = subscribe(weekly, "reader@example.org")
    issue = issue_of(weekly, article)
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENDING)
    Delivery.objects.create(issue=issue, subscription=subscription, claimed_at=timezone.now())
    send(issue)
    assert smtp_inbox.messages == []
    Delivery.objects.update(
        claimed_at=timezone.now() - timedelta(seconds=sending.claim_seconds() + 1))
    issue = send(issue)
    smtp_inbox.wait_for(1)
    assert recipients(smtp_inbox) == ["reader@example.org"] and issue.status == "sent"


def test_discreet_mode_sends_a_neutral_sender_and_subject(smtp_inbox, article):  # noqa: F811
    quiet = Newsletter.objects.create(name="The Weekly Samizdat", sender_name="Samizdat",
                                      sender_address="digest@mail.example", discreet=True,
                                      cadence="weekly")
    subscribe(quiet, "reader@example.org")
    send(issue_of(quiet, article, subject="Samizdat: floods"))
    [message] = smtp_inbox.wait_for(1)
    assert message["Subject"] == "Weekly digest"
    assert message["From"].addresses[0].display_name == "Weekly digest"
    assert "Samizdat" not in message["Subject"] + message["From"] + message["List-Id"]
    assert "Dam breaks upstream" in parts(message)[0]


def test_an_issue_of_free_text_only_is_sent(smtp_inbox, weekly):  # noqa: F811
    subscribe(weekly, "reader@example.org")
    send(issue_of(weekly, body="No article this week.\n\nSee you soon."))
    [message] = smtp_inbox.wait_for(1)
    text, html = parts(message)
    assert "No article this week." in text and "<p>No article this week.</p>" in html


def test_a_draft_article_is_never_sent(smtp_inbox, weekly, article):  # noqa: F811
    from django.core.exceptions import ValidationError

    subscribe(weekly, "reader@example.org")
    article.unpublish()
    issue = issue_of(weekly, article)
    with pytest.raises(ValidationError):
        issue.full_clean()
    with pytest.raises(sending.NotSendable):
        sending.start(issue.pk)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and smtp_inbox.messages == []


def test_a_russian_discreet_newsletter_has_a_russian_neutral_subject(smtp_inbox, article):  # noqa: F811
    quiet = Newsletter.objects.create(name="Самиздат", language="ru", discreet=True,
                                      cadence="daily")
    subscribe(quiet, "reader@example.org")
    send(issue_of(quiet, article, subject="Самиздат: наводнение"))
    [message] = smtp_inbox.wait_for(1)
    assert message["Subject"] == "Ежедневная сводка"
    assert "Отписаться" in parts(message)[0]


def test_a_batch_costs_one_query_per_message_beyond_a_fixed_few(smtp_inbox, weekly,  # noqa: F811
                                                                 monkeypatch, settings):
    """The batch is claimed and read at once; per message at most its marks are written
    (a chunk at a time: test_handover.py checks that 10 more messages cost none)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: None)
    counts = {}
    for size in (5, 15):
        letter = Newsletter.objects.create(name=f"List of {size}")
        for number in range(size):
            subscribe(letter, f"reader{size}-{number}@example.org")
        issue = issue_of(letter, body="Text only.")
        sending.start(issue.pk)
        settings.NEWSLETTERS_BATCH_SIZE = size
        with CaptureQueriesContext(connection) as queries:
            assert sending.send_batch(issue.pk) == (size, False)
        counts[size] = len(queries)
    assert counts[15] - counts[5] <= 10  # 10 more messages: at most one query each


def test_a_slow_batch_releases_what_it_could_not_send_within_half_the_lease(
        smtp_inbox, weekly, monkeypatch, settings):  # noqa: F811
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: None)
    settings.NEWSLETTERS_BATCH_SIZE = 5
    settings.NEWSLETTERS_CLAIM_SECONDS = 0  # half the lease has passed after each message
    for number in range(5):
        subscribe(weekly, f"reader{number}@example.org")
    issue = issue_of(weekly, body="Text only.")
    sending.start(issue.pk)
    assert sending.send_batch(issue.pk) == (1, True)
    assert not Delivery.objects.filter(sent_at__isnull=True, claimed_at__isnull=False).exists()
    while sending.send_batch(issue.pk)[1]:
        pass
    smtp_inbox.wait_for(5)
    assert recipients(smtp_inbox) == [f"reader{n}@example.org" for n in range(5)]


def test_parallel_sends_start_several_chains_that_share_the_rate_and_send_once(
        smtp_inbox, weekly, monkeypatch, settings):  # noqa: F811
    from types import SimpleNamespace

    from samizdat.newsletters import tasks

    settings.NEWSLETTERS_PARALLEL_SENDS = 3
    settings.NEWSLETTERS_BATCH_SIZE = 2
    queued = []
    monkeypatch.setattr(tasks, "send_batch", SimpleNamespace(enqueue=queued.append))
    for number in range(7):
        subscribe(weekly, f"reader{number}@example.org")
    issue = issue_of(weekly, body="Text only.")
    sending.start(issue.pk)
    assert queued == [issue.pk] * 3
    # A batch claimed by one chain (and not yet sent) is skipped by the others.
    held = batches.claim_batch(issue, timezone.now())
    assert len(held) == 2
    assert sending.send_batch(issue.pk) == (2, True)
    assert sending.send_batch(issue.pk) == (2, True)
    assert sending.send_batch(issue.pk) == (1, True)  # only the held two are left
    assert sending.send_batch(issue.pk) == (0, True)
    Delivery.objects.filter(pk__in=held).update(claimed_at=None)  # their lease ran out
    assert sending.send_batch(issue.pk) == (2, False)
    smtp_inbox.wait_for(7)
    assert recipients(smtp_inbox) == [f"reader{n}@example.org" for n in range(7)]
    settings.NEWSLETTERS_SEND_RATE = 10
    assert batches.Pace().interval == pytest.approx(0.3)  # 10 a second for the issue


def test_send_writes_the_deliveries_in_chunks_not_one_list_of_every_reader(
        weekly, monkeypatch):
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: None)
    monkeypatch.setattr(sending, "DELIVERY_CHUNK", 2)
    sizes = []
    original = Delivery.objects.bulk_create

    def bulk_create(objs, *args, **kwargs):
        objs = list(objs)
        sizes.append(len(objs))
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(Delivery.objects, "bulk_create", bulk_create)
    for number in range(5):
        subscribe(weekly, f"reader{number}@example.org")
    issue = issue_of(weekly, body="Text only.")
    sending.start(issue.pk)
    assert sizes == [2, 2, 1] and issue.deliveries.count() == 5


def test_a_delivery_handed_over_by_a_dead_worker_is_not_sent_again(
        smtp_inbox, weekly, article):  # noqa: F811
    """A worker killed after handing a message over, before its sent mark: the message may
    have arrived, so it is not sent again (no reader gets the issue twice); it counts as
    uncertain. Each delivery's Message-ID is its own, stable, and names no one, so the
    mail server's log can tell."""
    from samizdat.newsletters.render import delivery_message_id

    readers = [subscribe(weekly, f"reader{number}@example.org") for number in range(2)]
    issue = send(issue_of(weekly, article))
    smtp_inbox.wait_for(2)
    # The mark of reader0's delivery was lost: the worker died right after the 250.
    Delivery.objects.filter(issue=issue, subscription=readers[0]).update(
        sent_at=None, claimed_at=timezone.now() - timedelta(seconds=sending.claim_seconds() + 1))
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENDING)
    issue = send(issue)
    assert issue.status == Issue.Status.SENT
    assert recipients(smtp_inbox) == ["reader0@example.org", "reader1@example.org"]
    assert sending.progress(issue) == {"total": 2, "sent": 1, "uncertain": 1, "pending": 0}
    for envelope, message in zip(smtp_inbox.envelopes, smtp_inbox.messages, strict=True):
        delivery = Delivery.objects.get(issue=issue,
                                        subscription__subscriber__email_index=blind_index(
                                            envelope.rcpt_tos[0]))
        assert message["Message-ID"] == delivery_message_id(delivery.pk, message["From"])
        assert message["Message-ID"].endswith("@samizdat.example>")
        assert "reader" not in message["Message-ID"] and "Samizdat" not in message["Message-ID"]
