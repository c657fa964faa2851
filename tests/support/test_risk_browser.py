"""The "risky country" switch and the payment-method notes in Chromium, scripts on and off,
at 1280 and 390 px (issue 16): what a reader sees, that the switch is only in the URL and
the form, and that the pages pass axe-core."""

import pytest

from tests.validators import axe_violations

from .test_risk_advice import CRYPTO_PROVIDERS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("no_fundraising_group_hook"),
]

WIDTHS = [1280, 390]


@pytest.fixture
def crypto(settings):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = dict(CRYPTO_PROVIDERS)


def _fits(page, width):
    """Nothing scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_reader_turns_on_the_switch_and_sees_crypto_first_with_its_note(
    browser, wagtail_root, site_server, crypto, javascript, width
):
    context = browser.new_context(
        java_script_enabled=javascript, viewport={"width": width, "height": 900}
    )
    page = context.new_page()
    foreign = []
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(site_server.url) else foreign.append(request.url)
        ),
    )
    page.goto(f"{site_server.url}/support/?frequency=once")
    notes = page.locator(".support__notes")
    assert notes.locator("dt").all_inner_texts() == ["Card (demo)", "Crypto (test)"]
    assert "public ledger" in notes.inner_text() and "card network" in notes.inner_text()
    assert not page.get_by_label("Discreet e-mails").is_checked()
    assert _fits(page, width)

    page.get_by_role("link", name="I am in a country where supporting you may be risky").click()
    page.wait_for_url("**risk=1**")
    assert page.get_by_text("Safer giving is on.").is_visible()
    assert page.get_by_label("Discreet e-mails").is_checked()
    assert page.locator(".support__notes dt").all_inner_texts() == ["Crypto (test)", "Card (demo)"]
    assert "leave it empty" in page.locator("label[for=id_email]").inner_text()
    assert _fits(page, width)

    # Another frequency keeps the switch on: it is in every link, not in a cookie.
    page.get_by_role("link", name="Monthly").click()
    page.wait_for_url("**frequency=monthly**")
    assert page.get_by_text("Safer giving is on.").is_visible()
    page.get_by_role("link", name="Once").click()
    page.wait_for_url("**frequency=once**")
    page.get_by_role("button", name="Continue").click()
    # The form posts to /support/ itself; the click returns before the answer is parsed.
    page.wait_for_url(f"{site_server.url}/support/")
    methods = page.locator("button.support__method")
    assert methods.all_inner_texts() == ["Crypto (test)", "Card (demo)"]
    note = page.locator("#note-btcpay")
    assert note.is_visible() and "public ledger" in note.inner_text()
    assert methods.first.get_attribute("aria-describedby") == "note-btcpay"
    assert _fits(page, width)
    if javascript:
        assert axe_violations(page) == []

    page.get_by_role("link", name="Advice on giving safely").click()
    page.wait_for_url("**/support/safety/**")
    assert page.get_by_role("heading", name="Supporting us safely").is_visible()
    assert "wallet that is not tied to your identity" in page.content()
    assert _fits(page, width)
    page.get_by_role("link", name="Back to supporting us, with safer giving on").click()
    page.wait_for_url("**/support/?**risk=1**")
    assert page.get_by_text("Safer giving is on.").is_visible()

    page.get_by_role("link", name="Turn safer giving off").click()
    page.wait_for_url(lambda url: "risk=1" not in url)
    assert page.get_by_role(
        "link", name="I am in a country where supporting you may be risky"
    ).is_visible()
    assert {c["name"] for c in context.cookies()} <= {"csrftoken"}
    assert foreign == []
    context.close()


@pytest.mark.parametrize(
    "path", ["/support/?risk=1", "/ru/support/", "/support/safety/", "/ru/support/safety/"]
)
def test_support_pages_have_no_axe_violation_on_a_phone(
    browser, wagtail_root, site_server, crypto, path
):
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    page.goto(site_server.url + path)
    assert axe_violations(page) == []
    assert _fits(page, 390)
    context.close()
