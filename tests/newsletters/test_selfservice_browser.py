"""The newsletter reader's self-service page in Chromium with JavaScript off: ask for a
link, sign in, choose, pause, change language, delete everything."""

from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.support.browsing import follow_manage_link, watch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_a_subscriber_manages_newsletters_with_javascript_off(browser, live_server, mailoutbox):
    from samizdat.newsletters.models import Newsletter, Subscriber, Subscription

    weekly = Newsletter.objects.create(name="The Weekly Samizdat", cadence="weekly")
    daily = Newsletter.objects.create(name="Morning Brief", cadence="daily")
    Subscription.objects.create(
        subscriber=Subscriber.objects.create(email="reader@example.org"),
        newsletter=weekly,
        source="page",
        confirmed=timezone.now(),
    )
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    violations, hosts = watch(page)

    page.goto(f"{live_server.url}/newsletters/")
    page.get_by_role("link", name="Manage my newsletters").click()
    page.get_by_label("Your e-mail address").fill("reader@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("If this address gets one of our newsletters")).to_be_visible()
    follow_manage_link(page, live_server.url, mailoutbox)
    expect(page.get_by_role("heading", name="Newsletters")).to_be_visible()
    assert page.get_by_label("The Weekly Samizdat").is_checked()

    page.get_by_label("Morning Brief").check()
    page.get_by_label("Pause: send me nothing").check()
    page.get_by_label("Language of our e-mails").select_option("ru")
    page.get_by_role("button", name="Save my newsletter choices").click()
    expect(page.get_by_text("Your newsletter choices are saved.")).to_be_visible()
    subscriber = Subscriber.objects.get()
    assert (subscriber.paused, subscriber.language) == (True, "ru")
    assert sorted(s.newsletter_id for s in subscriber.subscriptions.all()) == [weekly.pk, daily.pk]

    page.get_by_role("link", name="Delete my data").click()
    page.get_by_label("I understand: delete my e-mail address").check()
    page.get_by_role("button", name="Delete my data").click()
    expect(page.get_by_role("heading", name="Your data was deleted")).to_be_visible()
    assert not Subscriber.objects.exists() and not Subscription.objects.exists()
    assert violations == []
    assert hosts == {urlsplit(live_server.url).netloc}
    context.close()
