"""'Manage my support' in Chromium with JavaScript off: link, sign-in, change, cancel."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .browsing import follow_manage_link, watch
from .rows import make_pledge

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_supporter_manages_and_cancels_with_javascript_off(browser, live_server, mailoutbox):
    from samizdat.support.models import Pledge

    pledge, _entry = make_pledge("reader@example.org", 500)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    violations, hosts = watch(page)

    page.goto(f"{live_server.url}/support/manage/")
    page.get_by_label("Your e-mail address").fill("reader@example.org")
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    path = follow_manage_link(page, live_server.url, mailoutbox)
    expect(page.get_by_role("heading", name="Your support")).to_be_visible()
    expect(page.get_by_text("$5.00 · Monthly")).to_be_visible()

    page.get_by_label("Amount (USD)").fill("8")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_text("$8.00 · Monthly")).to_be_visible()

    page.get_by_role("link", name="Cancel this contribution").click()
    page.get_by_label("Why are you canceling? (optional)").fill("Too many subscriptions")
    page.get_by_role("button", name="Cancel my contribution").click()
    expect(page.get_by_text("Your contribution is canceled")).to_be_visible()

    pledge.refresh_from_db()
    assert (pledge.status, pledge.amount_minor) == (Pledge.Status.CANCELED, 800)
    assert pledge.cancel_reason == "Too many subscriptions"
    assert violations == []
    assert hosts == {urlsplit(live_server.url).netloc}

    # The same link cannot be used twice.
    assert page.goto(f"{live_server.url}{path}").status == 410
    context.close()
