# ruff: noqa: F811 - pytest fixtures (smtp_inbox) are imported, then named as arguments
"""An issue may close with an appeal: the copy and amounts of an end-of-article letter
(the appeals app's own rendering), as plain links; a reader whose address paid gets a
thank-you instead, decided per reader with one lookup per batch. Sent through aiosmtpd
and read with Python's email package."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from samizdat.appeals.demo import create_appeal
from samizdat.appeals.models import AppealSettings
from samizdat.appeals.widget import widget_options
from samizdat.newsletters import batches, sending
from samizdat.newsletters.models import Issue, Newsletter, Subscriber, Subscription
from tests.smtp import parts, smtp_inbox  # noqa: F401
from tests.support.rows import make_gift, make_supporter

pytestmark = pytest.mark.django_db
THANKS = "Thank you for supporting"


@pytest.fixture(autouse=True)
def _run_on_commit(monkeypatch):
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: callback())


@pytest.fixture
def letter():
    return create_appeal(
        "Spring letter",
        {"placement": "letter"},
        [
            {
                "key": "A",
                "heading_en": "We need you",
                "button_en": "Give now",
                "text_en": "<p>Independent news costs money.<script>alert(1)</script></p>",
                "heading_ru": "Вы нам нужны",
                "text_ru": "<p>Помогите</p>",
            }
        ],
    )


@pytest.fixture
def weekly():
    return Newsletter.objects.create(name="Weekly", sender_address="news@samizdat.example")


def subscribe(newsletter, email):
    subscriber = Subscriber.objects.create(email=email)
    Subscription.objects.create(
        subscriber=subscriber, newsletter=newsletter, source="page", confirmed=timezone.now()
    )


def send(issue):
    sending.start(issue.pk)
    issue.refresh_from_db()
    return issue


def by_recipient(inbox, count):
    return {m["To"]: parts(m) for m in inbox.wait_for(count)}


def test_readers_get_the_ask_supporters_the_thanks(smtp_inbox, weekly, letter):
    subscribe(weekly, "reader@example.org")
    subscribe(weekly, "Supporter@Example.org")
    subscribe(weekly, "unpaid@example.org")
    make_gift("supporter@example.org")  # the blind index ignores letter case
    make_supporter("unpaid@example.org")  # a checkout never paid: still asked
    send(Issue.objects.create(newsletter=weekly, subject="This week", body="News.", appeal=letter))
    mail = by_recipient(smtp_inbox, 3)
    for address in ("reader@example.org", "unpaid@example.org"):
        text, html = mail[address]
        for part in (text, html):
            assert "We need you" in part and "Independent news costs money." in part
            assert "Give now" in part and THANKS not in part
        assert "<script" not in html and "alert(1)" not in html
    text, html = mail["Supporter@Example.org"]
    for part in (text, html):
        assert THANKS in part and "We need you" not in part and "Give now" not in part
        assert "News." in part


def test_the_amounts_are_the_letters_as_plain_links(smtp_inbox, weekly, letter):
    subscribe(weekly, "reader@example.org")
    send(Issue.objects.create(newsletter=weekly, subject="This week", body="News.", appeal=letter))
    [message] = smtp_inbox.wait_for(1)
    text, html = parts(message)
    options = widget_options("en")
    frequency = next(f for f in options["frequencies"] if f["id"] == options["default_frequency"])
    assert frequency["amounts"]
    links = [url for url in re.findall(r'href="([^"]+)"', html) if "amount=" in url]
    assert len(links) == len(frequency["amounts"])
    origin = urlsplit(settings.SAMIZDAT_DONATION_ORIGIN)
    for url, amount in zip(links, frequency["amounts"], strict=True):
        parsed = urlsplit(url.replace("&amp;", "&"))
        query = parse_qs(parsed.query)
        assert (parsed.scheme, parsed.netloc) == (origin.scheme, origin.netloc)
        assert parsed.path == options["form_url"]
        assert query == {
            "frequency": [frequency["id"]],
            "amount": [amount],
            "currency": [options["currency"]],
        }
        assert parsed.geturl() in text
    # Nothing that tells who clicked or which appeal brought them.
    assert "appeal=" not in html and "variant=" not in html and "utm_" not in html
    assert re.search(r'<div[^>]*class="appeal"[^>]*style="[^"]*border', html)  # inlined


def test_the_kill_switch_and_a_draft_appeal_leave_the_block_out(smtp_inbox, weekly, letter):
    subscribe(weekly, "reader@example.org")
    switches = AppealSettings.load()
    switches.appeals_enabled = False
    switches.save()
    send(Issue.objects.create(newsletter=weekly, subject="One", body="News.", appeal=letter))
    text, html = parts(smtp_inbox.wait_for(1)[0])
    assert "We need you" not in text + html and THANKS not in text + html


def test_one_supporter_lookup_per_batch_and_each_reader_keeps_their_variant(
    smtp_inbox, weekly, letter, settings, monkeypatch
):
    settings.NEWSLETTERS_BATCH_SIZE = 2
    addresses = [f"reader{n}@example.org" for n in range(5)]
    for address in addresses:
        subscribe(weekly, address)
    for address in addresses[1::2]:
        make_gift(address)
    looked_up = []
    real = batches.paying_supporter_indexes
    monkeypatch.setattr(
        batches,
        "paying_supporter_indexes",
        lambda indexes: looked_up.append(len(indexes)) or real(indexes),
    )
    issue = Issue.objects.create(newsletter=weekly, subject="Batches", body="News.", appeal=letter)
    with CaptureQueriesContext(connection) as queries:
        issue = send(issue)  # three batches, each queuing the next
    assert issue.status == Issue.Status.SENT
    assert looked_up == [2, 2, 1]
    assert (
        len(
            [
                q
                for q in queries.captured_queries
                if "support_ledgerentry" in q["sql"] and "email_index" in q["sql"]
            ]
        )
        == 3
    )
    mail = by_recipient(smtp_inbox, 5)
    for number, address in enumerate(addresses):
        text, html = mail[address]
        assert (THANKS in html) == bool(number % 2), address
        assert ("We need you" in text) != bool(number % 2), address


def test_an_issue_without_an_appeal_looks_nobody_up(smtp_inbox, weekly, monkeypatch):
    subscribe(weekly, "reader@example.org")
    monkeypatch.setattr(batches, "paying_supporter_indexes", lambda indexes: 1 / 0)
    assert (
        send(Issue.objects.create(newsletter=weekly, subject="Plain", body="News.")).status
        == Issue.Status.SENT
    )
    text, html = parts(smtp_inbox.wait_for(1)[0])
    assert THANKS not in text + html


def test_a_supporter_on_staff_gets_the_thanks_in_a_test(
    django_user_model, settings, weekly, letter, smtp_inbox
):
    from django.contrib.auth.models import Permission

    settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = False
    user = django_user_model.objects.create_user(
        username="ed", password="x", email="ed@samizdat.example"
    )
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["access_admin", "view_issue", "send_issue"])
    )
    make_gift("ed@samizdat.example")
    from django.test import Client

    client = Client()
    client.force_login(user)
    issue = Issue.objects.create(newsletter=weekly, subject="Test", body="News.", appeal=letter)
    page = client.get(f"/admin/newsletters/issues/{issue.pk}/send/").content.decode()
    assert "We need you" in page and THANKS in page  # both versions previewed
    client.post(f"/admin/newsletters/issues/{issue.pk}/send/", {"action": "test"})
    text, html = parts(smtp_inbox.wait_for(1)[0])
    assert THANKS in text and THANKS in html


def test_a_discreet_newsletter_thanks_without_naming_the_outlet(smtp_inbox, letter):
    from samizdat.appeals.letter_copy import outlet_name

    quiet = Newsletter.objects.create(name="Digest", discreet=True, cadence="weekly")
    subscribe(quiet, "supporter@example.org")
    make_gift("supporter@example.org")
    send(Issue.objects.create(newsletter=quiet, subject="S", body="News.", appeal=letter))
    text, html = parts(smtp_inbox.wait_for(1)[0])
    for part in (text, html):
        assert "Thank you for your support." in part
        assert THANKS not in part and outlet_name() not in part
