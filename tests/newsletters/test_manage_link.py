# ruff: noqa: F811 - pytest fixtures (smtp_inbox) are imported, then named as arguments
"""Every issue ends with "Manage my newsletters" (HTML and text), leading to the page
where a reader asks for a sign-in link; that link's e-mail names what the reader has:
newsletters, support or both. Mail goes through aiosmtpd and is read with Python's email
package; the e-mails' HTML passes the Nu Html Checker."""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import timezone

from samizdat.appeals.demo import create_appeal
from samizdat.core.crypto import blind_index
from samizdat.newsletters import sending
from samizdat.newsletters.models import Issue, Newsletter, Subscriber, Subscription
from samizdat.newsletters.render import render_content
from samizdat.support.tasks import send_manage_link
from tests.smtp import parts, smtp_inbox  # noqa: F401
from tests.support.rows import make_gift
from tests.validators import vnu_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _run_on_commit(monkeypatch):
    monkeypatch.setattr(sending.transaction, "on_commit", lambda callback: callback())


def subscribe(email, language="en"):
    newsletter = Newsletter.objects.create(
        name=f"Letter {language}", language=language, sender_address="news@samizdat.example"
    )
    subscriber = Subscriber.objects.create(email=email)
    Subscription.objects.create(
        subscriber=subscriber, newsletter=newsletter, source="page", confirmed=timezone.now()
    )
    return newsletter


@pytest.mark.parametrize(
    ("language", "label", "path"),
    [
        ("en", "Manage my newsletters", "/newsletters/manage/"),
        ("ru", "Управление моими рассылками", "/ru/newsletters/manage/"),
    ],
)
def test_every_issue_links_to_managing_the_newsletters(client, smtp_inbox, language, label, path):
    newsletter = subscribe("reader@example.org", language)
    sending.start(Issue.objects.create(newsletter=newsletter, subject="S", body="News.").pk)
    text, html = parts(smtp_inbox.wait_for(1)[0])
    url = settings.SAMIZDAT_DONATION_ORIGIN.rstrip("/") + path
    assert re.search(rf'<a href="{re.escape(url)}"[^>]*>{label}</a>', html)
    assert f"{label}: {url}" in text
    page = client.get(urlsplit(url).path)
    assert page.status_code == 200 and 'name="email"' in page.content.decode()


def sign_in_mail(inbox, email_index, count, language="en"):
    assert send_manage_link.call(email_index, language) is True
    message = inbox.wait_for(count)[-1]
    text, html = parts(message)
    return str(message["Subject"]).strip(), text, html


def words(*parts):
    """What the reader reads: the parts without their links."""
    return re.sub(r'https?://[^\s"<]+', "", " ".join(parts)).lower()


def test_the_sign_in_mail_names_what_the_reader_has(smtp_inbox):
    subscribe("reader@example.org")
    subject, text, html = sign_in_mail(smtp_inbox, blind_index("reader@example.org"), 1)
    assert subject == "Your link to manage your newsletters"
    assert "manage your newsletters from" in text and "Manage my newsletters" in html
    assert "support" not in words(subject, text, html)

    make_gift("giver@example.org")
    subject, text, html = sign_in_mail(smtp_inbox, blind_index("giver@example.org"), 2)
    assert subject == "Your link to manage your support"
    assert "newsletter" not in words(subject, text, html)

    subscribe("both@example.org")
    make_gift("both@example.org")
    subject, text, html = sign_in_mail(smtp_inbox, blind_index("both@example.org"), 3)
    assert subject == "Your link to manage your support and your newsletters"
    assert "Manage my support and newsletters" in html


def test_the_sign_in_mail_in_russian(smtp_inbox):
    subscribe("reader@example.org", "ru")
    subject, text, _html = sign_in_mail(smtp_inbox, blind_index("reader@example.org"), 1, "ru")
    assert subject == "Ваша ссылка для управления рассылками"
    assert "Ваша ссылка для управления рассылками" in text and "поддерж" not in text


def test_the_emails_pass_the_nu_html_checker(smtp_inbox):
    newsletter = subscribe("reader@example.org")
    make_gift("giver@example.org")
    letter = create_appeal(
        "Letter",
        {"placement": "letter"},
        [
            {
                "key": "A",
                "heading_en": "We need you",
                "text_en": "<p>Give, <b>please</b>.</p>",
                "button_en": "Give",
            }
        ],
    )
    content = render_content(
        Issue.objects.create(newsletter=newsletter, subject="S", body="News.", appeal=letter)
    )
    pages = {
        "issue (ask)": content.html.replace("{{UNSUBSCRIBE}}", "https://x.example/u/"),
        "issue (thanks)": content.supporter_html.replace("{{UNSUBSCRIBE}}", "https://x.example/u/"),
    }
    for number, email in enumerate(("reader@example.org", "giver@example.org"), start=1):
        pages[f"sign-in link {email}"] = sign_in_mail(smtp_inbox, blind_index(email), number)[2]
    assert vnu_errors(pages) == []
