"""'Delete my data' in Chromium with JavaScript off: confirm, erase, signed out."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .browsing import follow_manage_link, watch
from .rows import make_gift, make_pledge

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_supporter_deletes_their_data_with_javascript_off(browser, live_server, mailoutbox):
    from samizdat.support.models import LedgerEntry, Pledge, Supporter

    pledge, _entry = make_pledge("reader@example.org", 500)
    make_gift("reader@example.org", 4200)
    make_gift("other@example.org", 9900)
    ledger_before = LedgerEntry.objects.count()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    violations, hosts = watch(page)

    page.goto(f"{live_server.url}/support/manage/")
    page.get_by_label("Your e-mail address").fill("reader@example.org")
    page.get_by_role("button", name="Send me a link").click()
    follow_manage_link(page, live_server.url, mailoutbox)
    expect(page.get_by_role("heading", name="Your support")).to_be_visible()

    page.get_by_role("link", name="Delete my data").click()
    expect(page.get_by_role("heading", name="What stays")).to_be_visible()
    expect(page.get_by_text("$5.00 · Monthly")).to_be_visible()  # canceled first

    # Pressing the button without ticking the box deletes nothing.
    page.get_by_role("button", name="Delete my data").click()
    expect(page.get_by_text("Tick the box to confirm. Nothing was deleted.")).to_be_visible()
    assert Supporter.objects.with_email("reader@example.org").exists()

    page.get_by_label("I understand: delete my e-mail address").check()
    page.get_by_role("button", name="Delete my data").click()
    expect(page.get_by_role("heading", name="Your data was deleted")).to_be_visible()

    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.CANCELED
    assert not Supporter.objects.with_email("reader@example.org").exists()
    assert Supporter.objects.with_email("other@example.org").exists()
    assert LedgerEntry.objects.count() == ledger_before
    assert violations == []
    assert hosts == {urlsplit(live_server.url).netloc}

    # Signed out: the account page sends the browser back to ask for a link.
    page.goto(f"{live_server.url}/support/manage/account/")
    assert urlsplit(page.url).path == "/support/manage/"
    context.close()
