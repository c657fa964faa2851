"""What each payment method reveals, the reader's "risky country" switch, the advice page and
other ways to give (issue 16): staff-edited per language, defaults in English and Russian,
and the switch lives only in the URL and the form — no cookie, nothing stored."""

import re

import pytest

from samizdat.support.models import (
    Contribution,
    OtherWayToGive,
    PaymentMethodNote,
    Pledge,
    SupportPageCopy,
)

pytestmark = pytest.mark.django_db

# A crypto rail as the BTCPay provider will be configured: its name is what notes key on.
CRYPTO_PROVIDERS = {
    "demo": {
        "BACKEND": "samizdat.support.providers.demo.DemoProvider",
        "OPTIONS": {"SECRET": "demo-test-secret"},
    },
    "btcpay": {"BACKEND": "tests.support.crypto_stand_in.CryptoStandIn"},
}


@pytest.fixture
def with_crypto(settings):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = dict(CRYPTO_PROVIDERS)


def _methods_in_order(html):
    return re.findall(r'name="method" value="([a-z_]+)"', html)


def _step_two(client, risk="", frequency="once", email=""):
    return client.post(
        "/support/",
        {
            "frequency": frequency,
            "currency": "USD",
            "amount": "25",
            "other_amount": "",
            "email": email,
            "website": "",
            "risk": risk,
        },
    )


def test_support_page_says_what_each_method_reveals_in_english_and_russian(client):
    html = client.get("/support/?frequency=once").content.decode()
    assert "Your bank and the card network" in html  # the demo card
    assert "Your bank sees the payee (us) and the reference you type" not in html  # no details
    ru = client.get("/ru/support/?frequency=once").content.decode()
    assert "Ваш банк и платёжная система" in ru
    assert "Что мы храним" in ru


def test_bank_transfer_note_shows_once_the_newsroom_publishes_its_details(client, demo_site):
    from samizdat.support.checkout import contribution_settings

    options = contribution_settings()
    options.bank_iban = "DE89 3704 0044 0532 0130 00"
    options.bank_account_holder = "Samizdat e.V."
    options.save()
    html = _step_two(client).content.decode()
    assert "Your bank sees the payee (us) and the reference you type" in html


def test_crypto_note_appears_when_the_btcpay_provider_is_enabled(client, with_crypto):
    html = client.get("/support/?frequency=once").content.decode()
    assert "public ledger" in html
    step = _step_two(client).content.decode()
    assert 'aria-describedby="note-btcpay"' in step and "public ledger" in step


def test_staff_note_for_a_provider_name_replaces_the_default(client, with_crypto):
    copy = SupportPageCopy.objects.create(language="en")
    PaymentMethodNote.objects.create(
        copy=copy, method="btcpay", note="Bitcoin or Monero through our own server."
    )
    html = _step_two(client).content.decode()
    assert "Bitcoin or Monero through our own server." in html
    assert "public ledger" not in html
    # The other language keeps its default until staff write its own.
    assert "публичном реестре" in client.get("/ru/support/?frequency=once").content.decode()


def test_risk_switch_puts_crypto_first_and_is_carried_by_the_form(client, with_crypto):
    assert _methods_in_order(_step_two(client).content.decode()) == ["demo", "btcpay"]
    page = client.get("/support/?frequency=once&risk=1")
    html = page.content.decode()
    assert '<input type="hidden" name="risk" value="1">' in html
    assert "Safer giving is on." in html and 'href="/support/safety/"' in html
    # Switching frequency or currency keeps the switch; "turn off" drops it.
    assert re.search(r'href="/support/\?frequency=monthly&amp;currency=USD&amp;risk=1"', html)
    off = re.search(r'href="([^"]+)" data-risk="off"', html).group(1)
    assert "risk" not in off
    step = _step_two(client, risk="1").content.decode()
    assert _methods_in_order(step) == ["btcpay", "demo"]
    assert '<input type="hidden" name="risk" value="1">' in step
    assert "risk=1" in re.search(r'<a href="([^"]+)">Change</a>', step).group(1)


def test_in_the_demo_the_risk_switch_puts_the_crypto_stand_in_first(client, settings):
    """`make demo`'s providers: the BTCPay stand-in is crypto whatever its alias."""
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        "demo": CRYPTO_PROVIDERS["demo"],
        "demo_crypto": {"BACKEND": "samizdat.support.providers.btcpay_demo.DemoBTCPayProvider"},
    }
    assert _methods_in_order(_step_two(client).content.decode()) == ["demo", "demo_crypto"]
    step = _step_two(client, risk="1").content.decode()
    assert _methods_in_order(step) == ["demo_crypto", "demo"]
    assert "public ledger" in step


def test_risk_switch_sets_no_cookie_and_stores_nothing(client, with_crypto):
    response = client.get("/support/?risk=1")
    assert set(response.cookies) <= {"csrftoken"}
    response = _step_two(client, risk="1")
    assert set(response.cookies) <= {"csrftoken"} and not client.session.keys()
    assert not Contribution.objects.exists() and not Pledge.objects.exists()


def test_no_email_one_off_crypto_gift_starts_and_a_plan_still_needs_one(client, with_crypto):
    response = client.post(
        "/support/",
        {
            "frequency": "once",
            "currency": "USD",
            "amount": "25",
            "email": "",
            "website": "",
            "risk": "1",
            "method": "btcpay",
        },
    )
    assert response.status_code == 302
    gift = Contribution.objects.get()
    assert (gift.provider, gift.email, gift.checkout_email_index) == ("btcpay", "", "")
    plan = _step_two(client, risk="1", frequency="monthly")
    assert plan.status_code == 400 and "An e-mail address is needed" in plan.content.decode()
    assert not Pledge.objects.exists()


def test_advice_page_has_defaults_in_both_languages_and_staff_text_wins(client):
    html = client.get("/support/safety/").content.decode()
    assert "wallet that is not tied to your identity" in html
    ru = client.get("/ru/support/safety/").content.decode()
    assert "кошелька, не связанного с вашей личностью" in ru
    SupportPageCopy.objects.create(
        language="en",
        advice_title="Stay safe",
        advice="<p>Use the wallet we described in our guide.</p>",
    )
    html = client.get("/support/safety/").content.decode()
    assert "<h1>Stay safe</h1>" in html and "Use the wallet we described" in html
    assert "wallet that is not tied to your identity" not in html


def test_other_ways_to_give_are_staff_edited_per_language(client):
    assert "A friend abroad" in client.get("/support/").content.decode()
    copy = SupportPageCopy.objects.create(language="en")
    OtherWayToGive.objects.create(
        copy=copy,
        title="Our fiscal sponsor",
        text="Tax-deductible in the US.",
        url="https://sponsor.example.org/samizdat",
    )
    html = client.get("/support/").content.decode()
    assert '<a href="https://sponsor.example.org/samizdat">Our fiscal sponsor</a>' in html
    assert "A friend abroad" not in html
    assert "Друг за границей" in client.get("/ru/support/").content.decode()


def test_staff_write_a_language_entry_in_the_admin(staff_client):
    from wagtail.test.utils.form_data import rich_text

    url = "/admin/snippets/support/supportpagecopy/add/"
    assert staff_client.get(url).status_code == 200
    data = {
        "language": "ru",
        "money_does": "Зарплаты двух репортёров.",
        "privacy_promise": "",
        "we_keep": "",
        "advice_title": "",
        "advice": rich_text(""),
        "method_notes-TOTAL_FORMS": "1",
        "method_notes-INITIAL_FORMS": "0",
        "method_notes-MIN_NUM_FORMS": "0",
        "method_notes-MAX_NUM_FORMS": "1000",
        "method_notes-0-method": "demo",
        "method_notes-0-note": "Демо: никто ничего не видит.",
        "method_notes-0-ORDER": "1",
        "method_notes-0-DELETE": "",
        "method_notes-0-id": "",
        "other_ways-TOTAL_FORMS": "0",
        "other_ways-INITIAL_FORMS": "0",
        "other_ways-MIN_NUM_FORMS": "0",
        "other_ways-MAX_NUM_FORMS": "1000",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    from django.test import Client

    html = Client().get("/ru/support/?frequency=once").content.decode()
    assert "Зарплаты двух репортёров." in html and "Демо: никто ничего не видит." in html
    assert "Друг за границей" not in html  # the entry's own (empty) list replaces the default
