"""Sending an issue through a real SMTP server on loopback (aiosmtpd), each message parsed
with Python's email package: the article in full in both parts, nothing that tracks,
RFC 8058 one-click unsubscribe, and a send that resumes without sending anyone twice."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from samizdat.newsletters import sending
from samizdat.newsletters.models import Delivery, Issue, Newsletter, Subscriber, Subscription
from tests.news.discovery_factories import author, newsroom, picture, publish_article, section
from tests.support_services.conftest import parts, smtp_inbox  # noqa: F401

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
    assert sending.progress(issue) == {"total": 5, "sent": 2, "pending": 3}
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
