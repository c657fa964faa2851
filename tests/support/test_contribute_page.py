"""The contribution page: choices, validation, method step, no cookies but CSRF."""

import pytest

from samizdat.support.checkout import contribution_options
from samizdat.support.models import Contribution, Pledge, ProviderEvent, Supporter

pytestmark = pytest.mark.django_db


def _post(client, **data):
    base = {"frequency": "monthly", "currency": "USD", "amount": "5", "other_amount": "",
            "email": "reader@example.org", "appeal": "", "variant": "", "website": ""}
    base.update(data)
    return client.post("/support/", base)


def _nothing_stored():
    return (not Contribution.objects.exists() and not Pledge.objects.exists()
            and not ProviderEvent.objects.exists() and not Supporter.objects.exists())


def test_page_offers_monthly_by_default_with_presets_in_english_and_russian(client):
    response = client.get("/support/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-frequency="monthly" aria-current="true"' in html
    assert 'value="5" checked' in html and "$2.00" in html and "$10.00" in html
    ru = client.get("/ru/support/").content.decode()
    assert "€" in ru and "/ru/support/" in ru


def test_get_params_prefill_frequency_currency_amount_and_attribution(client):
    html = client.get(
        "/support/?frequency=annual&currency=GBP&amount=75&appeal=spring&variant=b"
    ).content.decode()
    assert 'data-frequency="annual" aria-current="true"' in html
    assert 'name="currency" value="GBP"' in html
    assert 'value="other" checked' in html and 'value="75"' in html
    assert 'name="appeal" value="spring"' in html and 'name="variant" value="b"' in html


def test_page_sets_only_the_csrf_cookie_and_thanks_page_sets_none(client, make_contribution):
    response = client.get("/support/")
    assert set(response.cookies) <= {"csrftoken"}
    contribution = make_contribution()
    response = client.get(f"/support/thanks/{contribution.reference}/")
    assert response.status_code == 200 and not response.cookies


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "1"}, "The minimum is $2.00"),
        ({"amount": "other", "other_amount": "10001"}, "The maximum is $10,000.00"),
        ({"amount": "other", "other_amount": "abc"}, "as a number"),
        ({"amount": "other", "other_amount": "-5"}, "cannot be negative"),
        ({"amount": "other", "other_amount": "5.123"}, "decimal places"),
        ({"amount": "other", "other_amount": ""}, "Choose or enter an amount"),
        ({"currency": "XYZ"}, "That currency is not offered"),
        ({"frequency": "weekly"}, "Choose once, monthly or annually"),
        ({"email": "not-an-email"}, "Enter a valid e-mail address"),
        ({"email": ""}, "An e-mail address is needed"),
        ({"frequency": ""}, "Choose how often to give"),
    ],
)
def test_bad_input_shows_the_form_again_and_stores_nothing(client, data, message):
    response = _post(client, method="demo", **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _nothing_stored()


def test_one_off_gift_needs_no_email(client):
    response = _post(client, frequency="once", amount="25", email="")
    assert response.status_code == 200
    assert "Choose how to pay" in response.content.decode()


def test_continue_offers_enabled_methods_with_text_labels_and_stores_nothing(client):
    response = _post(client)
    html = response.content.decode()
    assert 'name="method" value="demo"' in html and "Card (demo)" in html
    assert "<img" not in html
    assert _nothing_stored()


def test_honeypot_submission_stores_nothing(client):
    response = _post(client, method="demo", website="http://spam.example")
    assert response.status_code == 400
    assert _nothing_stored()


def test_choosing_demo_creates_a_pending_pledge_and_goes_to_its_checkout(client):
    response = _post(client, method="demo", appeal="spring", variant="b")
    pledge = Pledge.objects.get()
    assert pledge.status == "pending" and pledge.amount_minor == 500
    assert (pledge.appeal, pledge.variant, pledge.email) == ("spring", "b", "reader@example.org")
    assert response.status_code == 302
    assert response["Location"] == f"/support/demo-checkout/{pledge.reference}/"


def test_thank_you_page_never_changes_money_state(client, make_contribution):
    contribution = make_contribution()
    html = client.get(f"/support/thanks/{contribution.reference}/").content.decode()
    contribution.refresh_from_db()
    assert contribution.status == "pending" and "waiting for the payment service" in html
    assert 'data-ap-supporter="once"' in html


def test_cancel_page_keeps_the_readers_choices(client, make_pledge):
    pledge = make_pledge(amount_minor=700, currency="EUR", frequency="annual", appeal="x1")
    html = client.get(f"/support/cancel/{pledge.reference}/").content.decode()
    assert "nothing was charged" in html
    assert 'name="currency" value="EUR"' in html and 'value="7"' in html
    assert 'data-frequency="annual" aria-current="true"' in html
    assert 'name="appeal" value="x1"' in html


def test_contribution_options_contract(settings):
    options = contribution_options("en")
    assert options["currency"] == "USD" and options["currencies"] == ["USD", "EUR", "GBP"]
    assert options["default_frequency"] == "monthly"
    assert options["frequencies"]["monthly"] == {
        "label": "Monthly", "amounts": ["2", "5", "10"], "default": "5", "minimum": "2",
        "maximum": "10000",
    }
    assert options["frequencies"]["once"]["amounts"] == ["10", "25", "50"]
    assert options["frequencies"]["annual"]["amounts"] == ["25", "50", "100"]
    assert {"id": "demo", "label": "Card (demo)"} in options["methods"]
    assert options["form_url"] == "/support/"
    ru = contribution_options("ru")
    assert ru["currency"] == "EUR" and ru["form_url"] == "/ru/support/"


def test_russian_page_and_errors_are_in_russian(client):
    html = client.get("/ru/support/").content.decode()
    assert "Поддержите нашу журналистику" in html and "Ежемесячно" in html
    response = client.post("/ru/support/", {"frequency": "once", "currency": "EUR",
                                            "amount": "other", "other_amount": "1",
                                            "method": "demo", "website": ""})
    assert "Минимальная сумма — 2,00" in response.content.decode()
    assert _nothing_stored()


def test_thousands_typed_on_the_english_page_are_a_thousand(client):
    response = _post(client, frequency="once", amount="other", other_amount="1,000",
                     method="demo")
    assert response.status_code == 302
    assert Contribution.objects.get().amount_minor == 100000


def test_thousands_typed_on_the_russian_page_are_a_thousand(client):
    response = client.post("/ru/support/", {
        "frequency": "once", "currency": "EUR", "amount": "other",
        "other_amount": "1 000,50", "email": "", "website": "", "method": "demo"})
    assert response.status_code == 302
    assert Contribution.objects.get().amount_minor == 100050


def test_typed_amount_wins_over_a_preset_still_selected(client):
    response = _post(client, frequency="once", amount="25", other_amount="40", method="demo")
    assert response.status_code == 302
    assert Contribution.objects.get().amount_minor == 4000


def test_a_bad_typed_amount_is_refused_even_with_a_preset_selected(client):
    response = _post(client, frequency="once", amount="25", other_amount="4o", method="demo")
    assert response.status_code == 400
    assert "as a number" in response.content.decode()
    assert _nothing_stored()


def test_bank_transfer_is_offered_only_once_bank_details_are_published(client):
    from samizdat.support.checkout import contribution_settings

    html = _post(client, frequency="once", amount="25", email="").content.decode()
    assert 'value="demo"' in html and 'value="bank_transfer"' not in html
    refused = _post(client, frequency="once", amount="25", email="", method="bank_transfer")
    assert "not available" in refused.content.decode() and _nothing_stored()
    options = contribution_settings()
    options.bank_iban = "DE89 3704 0044 0532 0130 00"
    options.save()
    html = _post(client, frequency="once", amount="25", email="").content.decode()
    assert 'value="bank_transfer"' in html
    response = _post(client, frequency="once", amount="25", email="", method="bank_transfer")
    assert response.status_code == 302
    assert "DE89 3704" in client.get(response["Location"]).content.decode()
