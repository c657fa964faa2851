"""One self-service page per reader: a newsletter-only reader asks on /newsletters/manage/,
a supporter on /support/manage/; both reach the same page by an e-mailed single-use link,
choose newsletters, pause, change language, download their data and delete everything."""

import json
import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from samizdat.core.crypto import blind_index
from samizdat.newsletters import sending
from samizdat.newsletters.models import Delivery, Issue, Newsletter, Subscriber, Subscription
from tests.support.rows import make_gift
from tests.support.test_donor_encryption import database_text

pytestmark = pytest.mark.django_db

ADDRESS = "Night.Reader@Example.org"


@pytest.fixture
def weekly():
    return Newsletter.objects.create(name="The Weekly Samizdat", cadence="weekly")


@pytest.fixture
def daily():
    return Newsletter.objects.create(name="Morning Brief", cadence="daily", language="ru")


def subscribe(newsletter, email=ADDRESS, confirmed=True):
    subscriber = Subscriber.objects.filter(email_index=blind_index(email)).first()
    subscriber = subscriber or Subscriber.objects.create(email=email)
    return Subscription.objects.create(
        subscriber=subscriber,
        newsletter=newsletter,
        source="page",
        confirmed=timezone.now() if confirmed else None,
    )


def link_in(message):
    url = re.search(r"https?://\S+/support/manage/link/\S+/", message.body).group(0)
    return urlsplit(url).path


def sign_in(client, mailoutbox, email=ADDRESS, form="/newsletters/manage/"):
    response = client.post(form, {"email": email})
    assert response.status_code == 302
    assert client.post(link_in(mailoutbox[-1])).status_code == 302
    return client.get("/support/manage/account/")


def test_a_subscriber_who_never_gave_reaches_the_page_by_an_emailed_link(
    client, mailoutbox, weekly
):
    subscribe(weekly)
    page = sign_in(client, mailoutbox).content.decode()
    assert mailoutbox[-1].to == [ADDRESS]
    assert "Night.Reader@Example.org" in page
    assert 'id="newsletters"' in page and "The Weekly Samizdat" in page
    assert f'value="{weekly.pk}" checked' in page
    # The link works once.
    assert client.post(link_in(mailoutbox[-1])).status_code == 410


def test_the_answer_is_the_same_and_strangers_get_no_mail(client, mailoutbox, weekly):
    subscribe(weekly, "pending@example.org", confirmed=False)
    subscribe(weekly)
    answers = [
        client.post("/newsletters/manage/", {"email": email}, follow=True)
        for email in ("nobody@example.org", "pending@example.org", ADDRESS)
    ]
    assert len({a.content for a in answers}) == 1
    assert all(a.status_code == 200 for a in answers)
    assert "If this address gets one of our newsletters" in answers[0].content.decode()
    assert [m.to for m in mailoutbox] == [[ADDRESS]]


def test_a_malformed_address_is_refused_and_sends_nothing(client, mailoutbox):
    response = client.post("/newsletters/manage/", {"email": "not an address\r\nBcc: x@y"})
    assert response.status_code == 400 and "Please correct the address" in response.content.decode()
    assert mailoutbox == []


def test_a_supporter_and_subscriber_has_one_page(client, mailoutbox, weekly):
    make_gift(ADDRESS)
    subscribe(weekly)
    page = sign_in(client, mailoutbox, form="/support/manage/").content.decode()
    assert len(mailoutbox) == 1
    assert 'id="payments"' in page and 'id="newsletters"' in page
    assert page.count("Night.Reader@Example.org") == 1


def test_choose_pause_and_change_language(client, mailoutbox, weekly, daily, monkeypatch):
    subscribe(weekly)
    sign_in(client, mailoutbox)
    response = client.post(
        "/newsletters/manage/save/", {"newsletters": [daily.pk], "paused": "on", "language": "ru"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#newsletters")
    subscriber = Subscriber.objects.get()
    assert (subscriber.paused, subscriber.language) == (True, "ru")
    [subscription] = subscriber.subscriptions.all()
    assert subscription.newsletter == daily and subscription.confirmed is not None
    assert subscription.source == "self-service"
    page = client.get("/support/manage/account/").content.decode()
    assert "Your newsletter choices are saved." in page
    # Paused: an issue sent now reaches nobody.
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: callback())
    issue = Issue.objects.create(newsletter=daily, subject="Today", body="News.")
    sending.start(issue.pk)
    assert not Delivery.objects.filter(issue=issue).exists()
    client.post("/newsletters/manage/save/", {"newsletters": [daily.pk], "language": "ru"})
    assert Subscriber.objects.get().paused is False


def test_a_closed_newsletter_or_unknown_language_changes_nothing(client, mailoutbox, weekly):
    subscribe(weekly)
    closed = Newsletter.objects.create(name="Closed", active=False)
    sign_in(client, mailoutbox)
    client.post("/newsletters/manage/save/", {"newsletters": [closed.pk], "language": "en"})
    client.post("/newsletters/manage/save/", {"newsletters": [weekly.pk], "language": "xx"})
    assert [s.newsletter for s in Subscription.objects.all()] == [weekly]
    assert Subscriber.objects.get().language == "en"


def test_saving_without_a_session_changes_nothing(client, weekly):
    subscribe(weekly)
    response = client.post("/newsletters/manage/save/", {"newsletters": [], "language": "en"})
    assert response.status_code == 302 and response["Location"] == "/newsletters/manage/"
    assert Subscription.objects.count() == 1


def test_a_supporter_subscribes_from_the_page(client, mailoutbox, weekly):
    make_gift(ADDRESS)
    sign_in(client, mailoutbox, form="/support/manage/")
    client.post("/newsletters/manage/save/", {"newsletters": [weekly.pk], "language": "en"})
    subscription = Subscription.objects.get()
    assert subscription.subscriber.email == ADDRESS and subscription.confirmed is not None


def test_download_holds_the_subscriptions(client, mailoutbox, weekly):
    subscribe(weekly)
    sign_in(client, mailoutbox)
    data = json.loads(client.get("/support/manage/my-data.json").content)
    assert [row["newsletter"] for row in data["newsletter_subscriptions"]] == [
        "The Weekly Samizdat"
    ]


def test_delete_everything_leaves_no_trace_of_a_subscriber(
    client, mailoutbox, settings, weekly, daily, monkeypatch
):
    """Subscriber, subscriptions, deliveries, the queued link request: every table's
    text searched for the address and its blind index afterwards."""
    from samizdat.support.tasks import send_manage_link

    subscribe(weekly)
    subscribe(daily)
    subscribe(weekly, "other@example.org")
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: callback())
    issue = Issue.objects.create(newsletter=weekly, subject="Floods", body="Water.")
    sending.start(issue.pk)
    assert Delivery.objects.filter(sent_at__isnull=False).count() == 2
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    index = blind_index(ADDRESS)
    assert client.post("/newsletters/manage/", {"email": ADDRESS}).status_code == 302
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.exists()  # the request is queued with the blind index
    assert send_manage_link.call(index, "en") is True
    assert client.post(link_in(mailoutbox[-1])).status_code == 302
    text = database_text()
    assert index in text and ADDRESS.lower() not in text  # encrypted, but indexed
    summary = client.get("/support/manage/delete/").content.decode()
    assert "Delete" in summary
    response = client.post("/support/manage/delete/", {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/support/manage/deleted/"
    text = database_text()
    assert index not in text and ADDRESS.lower() not in text
    assert "night.reader" not in text
    assert Subscriber.objects.count() == 1 and Delivery.objects.count() == 1
    assert not Subscriber.objects.filter(email_index=index).exists()
