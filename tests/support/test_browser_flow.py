"""The demo provider's whole flow in Chromium: page → method → simulated checkout → signed
webhook → ledger → thank-you page, with JavaScript on and off."""

import pytest

from samizdat.support.models import LedgerEntry, Pledge

from .conftest import settled

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_fundraising_group_hook")]


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_reader_gives_monthly_through_the_demo_provider(browser, wagtail_root, site_server,
                                                       javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    foreign = []
    page.on("request", lambda request: None if request.url.startswith(site_server.url)
            else foreign.append(request.url))
    page.goto(f"{site_server.url}/support/?appeal=spring&variant=b")
    assert page.locator('a[data-frequency="monthly"][aria-current="true"]').count() == 1
    page.get_by_label("$10.00").check()
    page.fill("#id_email", "reader@example.org")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Card (demo)").click()
    page.wait_for_url("**/support/demo-checkout/**")
    assert "SIMULATION" in page.content()
    page.get_by_role("button", name="Pay (simulated)").click()
    page.wait_for_url("**/support/thanks/**")
    assert "Your regular contribution of $10.00 is active." in page.content()

    pledge = Pledge.objects.get()
    assert (pledge.status, pledge.amount_minor, pledge.appeal, pledge.variant) == (
        "active", 1000, "spring", "b")
    assert settled(lambda: LedgerEntry.objects.filter(pledge=pledge).count() == 1)()
    assert foreign == []
    # Paying (the reader's own action) opens a browser-session grant to manage the plan.
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    assert set(cookies) <= {"csrftoken", "sessionid"}
    assert cookies["sessionid"]["expires"] == -1 and cookies["sessionid"]["httpOnly"]
    page.get_by_role("button", name="Manage your regular contribution").click()
    page.wait_for_url("**/support/manage/account/")
    assert "$10.00" in page.content()
    context.close()


def test_reader_sees_a_clear_error_and_no_pledge_for_a_bad_amount(browser, wagtail_root,
                                                                 site_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site_server.url}/ru/support/?frequency=once")
    page.locator('input[name="amount"][value="other"]').check()
    page.fill("#id_other_amount", "1,999")
    page.locator("button.support__continue").click()
    # The form posts to /ru/support/; the click returns before the answer is parsed.
    page.wait_for_url(f"{site_server.url}/ru/support/")
    assert page.locator("#amount-error").count() == 1
    assert not Pledge.objects.exists()
    context.close()
