"""A monthly crypto gift in `make demo`: the BTCPay stand-in's reminder-based plan.

The first period is paid on the demo checkout (plainly a simulation); the
reminder's link opens the same demo checkout for the next period; the supporter
can end the plan. Events are signed and recorded exactly as a real BTCPay's.
"""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail

from samizdat.support.actions.plans import cancel_plan, capabilities
from samizdat.support.btcpay_plans import run_reminders
from samizdat.support.models import Pledge

from .test_btcpay_demo import STAND_IN

pytestmark = pytest.mark.django_db

START = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def stand_in(settings):
    settings.SAMIZDAT_PAYMENT_PROVIDERS = dict(STAND_IN)


def test_a_demo_crypto_monthly_gift_is_paid_each_period_on_the_demo_checkout(client, stand_in):
    with time_machine.travel(START, tick=False) as clock:
        form = client.post(
            "/support/",
            {"frequency": "monthly", "currency": "USD", "amount": "5", "email": "", "website": ""},
        )
        assert "Crypto (demo of BTCPay Server)" in form.content.decode()
        started = client.post(
            "/support/",
            {
                "frequency": "monthly",
                "currency": "USD",
                "amount": "5",
                "website": "",
                "email": "reader@example.org",
                "method": "demo_crypto",
            },
        )
        assert started.status_code == 302
        page = client.get(started["Location"]).content.decode()
        assert "SIMULATION" in page and "Monthly" in page
        assert client.post(started["Location"], {"action": "pay"}).status_code == 302
        pledge = Pledge.objects.get()
        assert (pledge.status, pledge.provider) == ("active", "demo_crypto")
        assert pledge.ledger_entries.filter(kind="payment").count() == 1
        assert capabilities(pledge)["can_cancel"] is True

        # Three days before the next period, the reminder; its link opens the demo checkout.
        clock.move_to(datetime(2027, 2, 7, 13, 0, tzinfo=UTC))
        assert run_reminders()["reminded"] == 1
        pay_path = re.search(r"https?://[^/\s]+(/support/pay/\S+/)", mail.outbox[-1].body)
        demo = client.get(pay_path.group(1))
        assert demo.status_code == 302 and "period=1" in demo["Location"]
        page = client.get(demo["Location"]).content.decode()
        assert "SIMULATION" in page and "Payment for period 2 of this plan" in page
        assert client.post(demo["Location"], {"action": "pay", "period": "1"}).status_code == 302
        assert client.post(demo["Location"], {"action": "pay", "period": "1"}).status_code == 404
        pledge.refresh_from_db()
        assert pledge.status == "active"
        assert pledge.ledger_entries.filter(kind="payment").count() == 2
        # Paid: the link leads to the thank-you page now.
        assert client.get(pay_path.group(1))["Location"].endswith(
            f"/support/thanks/{pledge.reference}/"
        )
        # A period that is not due cannot be "paid" ahead on the demo page.
        assert client.get(started["Location"] + "?period=5").status_code == 404

        cancel_plan(pledge)
        pledge.refresh_from_db()
        assert pledge.status == "canceled"
