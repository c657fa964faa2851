"""The demo provider can never pay in production, however it came to be configured.

Startup refuses it (samizdat_security.E016, tests/security/test_check_deploy.py); these
tests cover a process that skipped the checks or started another way (ASGI, an
override): the demo is not offered, its checkout refuses to pay, and its webhook
takes no event. Only the loopback benchmarks' Python settings may keep it.
"""

import pytest
from django.core.exceptions import ImproperlyConfigured

from samizdat.support.models import Contribution, LedgerEntry, ProviderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.SAMIZDAT_PRODUCTION = True
    settings.SAMIZDAT_LOOPBACK_BENCHMARK = False
    from samizdat.support.checkout import contribution_settings

    options = contribution_settings()  # bank transfer is offered once details are published
    options.bank_iban = "DE89 3704 0044 0532 0130 00"
    options.save()


def _start(client, method="demo"):
    return client.post("/support/", {"frequency": "once", "currency": "USD", "amount": "10000",
                                     "email": "anyone@example.org", "method": method,
                                     "website": ""})


def test_production_offers_no_demo_and_starts_no_demo_checkout(client, production):
    page = client.post("/support/", {"frequency": "once", "currency": "USD", "amount": "25",
                                     "email": "", "website": ""})
    assert page.status_code == 200
    assert b"Card (demo)" not in page.content and b"Bank transfer" in page.content
    refused = _start(client)
    assert refused.status_code == 400  # not a method this site offers
    assert not Contribution.objects.exists()


def test_a_demo_gift_left_from_before_cannot_be_paid_in_production(client, settings):
    response = _start(client)
    assert response.status_code == 302
    gift = Contribution.objects.get()
    settings.SAMIZDAT_PRODUCTION = True
    with pytest.raises(ImproperlyConfigured, match="E016"):
        client.post(response["Location"], {"action": "pay"})
    gift.refresh_from_db()
    assert gift.status == "pending"
    assert not LedgerEntry.objects.exists()


def test_the_demo_webhook_takes_no_event_in_production(client, settings, demo):
    gift = Contribution.objects.create(provider="demo", amount_minor=1_000_000, currency="USD")
    body, headers = demo.signed(demo.build_event("checkout.completed", {
        "reference": gift.reference, "amount_minor": gift.amount_minor, "currency": "USD",
        "frequency": "once", "payment_id": "demo_pay_forged"}))
    settings.SAMIZDAT_PRODUCTION = True
    response = client.post("/support/webhooks/demo/", body, content_type="application/json",
                           headers=headers)
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists()
    gift.refresh_from_db()
    assert gift.status == "pending"


def test_the_loopback_benchmark_settings_keep_the_demo(client, settings):
    settings.SAMIZDAT_PRODUCTION = True
    settings.SAMIZDAT_LOOPBACK_BENCHMARK = True
    response = _start(client)
    assert response.status_code == 302
    client.post(response["Location"], {"action": "pay"})
    assert Contribution.objects.get().status == "paid"


def test_only_the_exact_python_true_opens_the_escape_hatch(client, settings):
    """An environment-like string ("1", "true") is not the benchmark setting."""
    settings.SAMIZDAT_PRODUCTION = True
    settings.SAMIZDAT_LOOPBACK_BENCHMARK = "1"
    assert _start(client).status_code == 400
