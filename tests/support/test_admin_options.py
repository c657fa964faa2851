"""Fundraising staff edit amounts, currencies and methods in the Wagtail admin."""

import pytest
from wagtail.models import Site

from samizdat.support.checkout import contribution_options
from samizdat.support.models import AmountOption, ContributionSettings

pytestmark = pytest.mark.django_db


def test_admin_edits_amounts_per_currency_and_frequency(staff_client):
    site = Site.objects.get(is_default_site=True)
    url = f"/admin/settings/support/contributionsettings/{site.pk}/"
    assert staff_client.get(url).status_code == 200
    data = {
        "default_currency": "GBP", "default_currency_ru": "EUR", "default_frequency": "once",
        "enabled_methods": "demo", "under_attack": "", "bank_account_holder": "",
        "bank_name": "", "bank_iban": "", "bank_bic": "", "bank_instructions": "",
        "amount_options-TOTAL_FORMS": "1", "amount_options-INITIAL_FORMS": "0",
        "amount_options-MIN_NUM_FORMS": "0", "amount_options-MAX_NUM_FORMS": "1000",
        "amount_options-0-currency": "GBP", "amount_options-0-frequency": "once",
        "amount_options-0-amounts": "3, 7, 15", "amount_options-0-default_amount": "7",
        "amount_options-0-minimum": "3", "amount_options-0-maximum": "500",
        "amount_options-0-ORDER": "1", "amount_options-0-id": "",
        "amount_options-0-DELETE": "",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AmountOption.objects.get().amounts == "3, 7, 15"
    options = contribution_options("en")
    assert options["currency"] == "GBP" and options["default_frequency"] == "once"
    assert options["frequencies"]["once"] == {
        "label": "Once", "amounts": ["3", "7", "15"], "default": "7", "minimum": "3",
        "maximum": "500"}
    assert options["methods"] == [{"id": "demo", "label": "Card (demo)"}]


def test_amount_option_refuses_presets_outside_its_bounds(db):
    from django.core.exceptions import ValidationError

    option = AmountOption(setting=ContributionSettings(), currency="USD", frequency="monthly",
                          amounts="1, 5", default_amount="5", minimum="2", maximum="100")
    with pytest.raises(ValidationError) as excinfo:
        option.clean()
    assert "between the minimum and the maximum" in str(excinfo.value)


def test_staff_limits_apply_to_the_form(client):
    settings_obj = ContributionSettings.for_site(Site.objects.get(is_default_site=True))
    AmountOption.objects.create(setting=settings_obj, currency="USD", frequency="monthly",
                                amounts="5, 10", default_amount="5", minimum="5",
                                maximum="50")
    response = client.post("/support/", {"frequency": "monthly", "currency": "USD",
                                         "amount": "3", "email": "r@example.org",
                                         "method": "demo", "website": ""})
    assert "The minimum is $5.00" in response.content.decode()
