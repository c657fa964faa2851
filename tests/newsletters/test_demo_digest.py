"""The demo's promise (`make demo`): a reader subscribes from the footer of an article,
confirms from the e-mailed link, and gets the next daily digest — here triggered with
`manage.py send_newsletters --digest-now`, through a real SMTP server on loopback."""

import re

import pytest
from django.apps import apps
from django.core.management import call_command

from samizdat.newsletters.models import Issue, Newsletter
from tests.newsletters.test_sending import _run_on_commit  # noqa: F401
from tests.smtp import parts, smtp_inbox  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_reader_who_subscribes_in_the_demo_gets_the_next_digest(
        demo_site, client, smtp_inbox):  # noqa: F811
    from samizdat.news.models import ArticlePage

    config = apps.get_app_config("newsletters")
    config.load_demo()
    config.load_demo()  # idempotent, as make demo runs it on every start
    daily = Newsletter.objects.get(name="The Northern Ledger Daily")
    assert daily.digest_time is not None and daily.cadence == "daily"
    assert Issue.objects.filter(newsletter=daily, status=Issue.Status.SENT).count() == 2
    assert daily.subscriptions.filter(confirmed__isnull=False).count() == 3

    article = ArticlePage.objects.live().filter(locale__language_code="en").order_by(
        "-first_published_at").first()
    footer = re.search(r'<form[^>]*class="[^"]*footer[^"]*"[^>]*>.*?</form>',
                       client.get(article.url).content.decode(), re.S)
    assert footer is not None
    client.post("/newsletters/", {"email": "new.reader@example.org", "source": "footer"})
    [confirmation] = smtp_inbox.wait_for(1)
    link = re.search(r"https?://\S+/newsletters/confirm/\S+/",
                     confirmation.get_body(preferencelist=("plain",)).get_content()).group(0)
    assert client.post(link).status_code == 200

    call_command("send_newsletters", "--digest-now", verbosity=0)
    smtp_inbox.wait_for(5)
    to_reader = [m for m in smtp_inbox.messages
                 if m["To"] == "new.reader@example.org"
                 and m["Subject"].startswith("The Northern Ledger Daily:")]
    assert to_reader, [m["Subject"] for m in smtp_inbox.messages]
    text, html = parts(to_reader[-1])
    assert article.title in text and article.title in html
    # The archive shows the two sample issues and the digest just sent.
    archive = client.get(f"/newsletters/{daily.slug}/").content.decode()
    issues = set(re.findall(r'href="(/newsletters/the-northern-ledger-daily/\d+/)"', archive))
    sent = Issue.objects.filter(newsletter=daily, status=Issue.Status.SENT).count()
    assert len(issues) == sent >= 3
