"""The demo's offline BTCPay stand-in, and what production refuses.

The stand-in runs the real provider's verification and facts on events signed as
BTCPay signs them, so a crypto gift in `make demo` moves the receipt, the goal and
the ledger as a real one would; production never takes it, and never runs BTCPay
without all four of its settings (samizdat_security.E019).
"""

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from samizdat.production import problems
from samizdat.support.goal import progress_for
from samizdat.support.models import Contribution, LedgerEntry

pytestmark = pytest.mark.django_db

STAND_IN = {
    "demo_crypto": {"BACKEND": "samizdat.support.providers.btcpay_demo.DemoBTCPayProvider"},
}


@pytest.fixture
def stand_in(settings):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = dict(STAND_IN)


def start(client):
    return client.post(
        "/support/",
        {
            "frequency": "once",
            "currency": "USD",
            "amount": "25",
            "website": "",
            "email": "reader@example.org",
            "method": "demo_crypto",
        },
    )


def test_a_crypto_gift_completes_against_the_stand_in(
    client, stand_in, django_capture_on_commit_callbacks
):
    form = client.post(
        "/support/",
        {"frequency": "once", "currency": "USD", "amount": "25", "email": "", "website": ""},
    )
    assert "Crypto (demo of BTCPay Server)" in form.content.decode()
    response = start(client)
    assert response.status_code == 302
    checkout = client.get(response["Location"]).content.decode()
    assert "SIMULATION" in checkout  # plainly marked
    assert "stands in for the newsroom's BTCPay Server" in checkout.replace("&#x27;", "'")
    with django_capture_on_commit_callbacks(execute=True):  # the receipt follows the commit
        paid = client.post(response["Location"], {"action": "pay"})
    assert paid.status_code == 302
    gift = Contribution.objects.get()
    assert gift.status == "paid"
    assert list(gift.ledger_entries.values_list("kind", "amount_minor", "currency")) == [
        ("payment", 2500, "USD")
    ]
    assert progress_for().one_off_minor == 2500
    (receipt,) = mail.outbox
    assert receipt.to == ["reader@example.org"] and "$25.00" in receipt.body
    # A second click delivers the same event: paid once.
    client.post(response["Location"], {"action": "pay"})
    assert LedgerEntry.objects.count() == 1


def test_the_stand_in_can_be_declined(client, stand_in):
    response = start(client)
    declined = client.post(response["Location"], {"action": "decline"})
    assert "The payment was invalid (simulated)" in declined.content.decode()
    assert Contribution.objects.get().status == "failed"


def test_the_stand_in_never_runs_in_production(client, stand_in, settings):
    response = start(client)
    settings.SAMIZDAT_PRODUCTION = True
    settings.SAMIZDAT_LOOPBACK_BENCHMARK = False
    with pytest.raises(ImproperlyConfigured, match="E016"):
        client.post(response["Location"], {"action": "pay"})
    assert Contribution.objects.get().status == "pending"
    found = {check_id: message for check_id, message, _hint in problems(settings)}
    assert "demo_crypto" in found["samizdat_security.E016"]


def _btcpay_problems(settings, **values):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = {
        "btcpay": {"BACKEND": "samizdat.support.providers.btcpay.BTCPayProvider"}
    }
    for name in ("URL", "STORE_ID", "API_KEY", "WEBHOOK_SECRET"):
        setattr(settings, f"BTCPAY_{name}", values.get(name, ""))
    return [
        message
        for check_id, message, _hint in problems(settings)
        if check_id == "samizdat_security.E019"
    ]


def test_production_refuses_btcpay_without_its_settings(settings):
    complete = {
        "URL": "https://pay.example.org",
        "STORE_ID": "9CWQGmtfp8FqGYxx",
        "API_KEY": "d7c1a0c9e0f84e5b9d",
        "WEBHOOK_SECRET": "Zr8u2Kq9vX4mW7pL3nB6cT1y",
    }
    assert _btcpay_problems(settings, **complete) == []
    (missing,) = _btcpay_problems(settings, **{**complete, "API_KEY": ""})
    assert "BTCPAY_API_KEY" in missing
    (weak,) = _btcpay_problems(settings, **{**complete, "WEBHOOK_SECRET": "secret"})
    assert "BTCPAY_WEBHOOK_SECRET" in weak
    (nothing,) = _btcpay_problems(settings)
    assert all(f"BTCPAY_{name}" in nothing for name in ("URL", "STORE_ID", "API_KEY"))
