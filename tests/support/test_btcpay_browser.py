"""A crypto gift in Chromium against the demo's BTCPay stand-in, with JavaScript on and off:
choose the crypto method, the plainly marked simulation, the thank-you page, the ledger."""

import pytest

from samizdat.support.models import Contribution, LedgerEntry

from .conftest import DEMO_PROVIDERS, settled

pytestmark = [pytest.mark.browser,
              pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("no_fundraising_group_hook")]


@pytest.fixture
def with_stand_in(settings):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        **DEMO_PROVIDERS,
        "demo_crypto": {"BACKEND": "samizdat.support.providers.btcpay_demo.DemoBTCPayProvider"},
    }


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_reader_gives_once_in_crypto_through_the_stand_in(browser, wagtail_root, site_server,
                                                          with_stand_in, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    foreign = []
    page.on("request", lambda request: None if request.url.startswith(site_server.url)
            else foreign.append(request.url))
    page.goto(f"{site_server.url}/support/?frequency=once")
    page.get_by_label("$25.00").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Crypto (demo of BTCPay Server)").click()
    page.wait_for_url("**/demo-checkout/**")
    assert "SIMULATION" in page.content()
    page.get_by_role("button", name="Pay (simulated)").click()
    page.wait_for_url("**/support/thanks/**")
    assert "We have received your contribution of $25.00." in page.content()

    gift = Contribution.objects.get()
    assert (gift.status, gift.provider) == ("paid", "demo_crypto")
    assert settled(lambda: LedgerEntry.objects.filter(contribution=gift).count() == 1)()
    assert foreign == []  # BTCPay's stand-in is this site: no third party
    context.close()
