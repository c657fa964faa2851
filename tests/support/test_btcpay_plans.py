"""A BTCPay plan's whole life: reminders each period, paid, past due, paid again, ended.

A crypto wallet cannot be charged: each period the supporter gets an e-mail with a
fresh invoice. The clock is moved with time-machine; BTCPay is the loopback
stand-in held to its OpenAPI document (btcpay_fake.py).
"""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from samizdat.support.btcpay_plans import run_reminders
from samizdat.support.goal import progress_for
from samizdat.support.models import Pledge

from . import test_btcpay
from .btcpay_fake import event
from .test_btcpay import deliver, method_form

pytestmark = pytest.mark.django_db

btcpay = test_btcpay.btcpay  # the fixture: BTCPay's stand-in, configured

START = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)


def pay_period(client, fake, invoice):
    fake.pay(invoice["id"], "0.0001")  # 0.0001 × 50 000 = 5.00
    fake.set_status(invoice["id"], "Settled")
    assert deliver(client, event("InvoiceSettled", invoice, overPaid=False)).status_code == 200


def invoice_of_period(fake, pledge, period):
    (invoice,) = [
        i
        for i in fake.invoices.values()
        if i["metadata"]["orderId"] == f"{pledge.reference}-{period}"
    ]
    return invoice


def test_a_reminder_plan_lives_pays_lapses_and_ends(
    client, btcpay, settings, django_capture_on_commit_callbacks
):
    with time_machine.travel(START, tick=False) as clock:
        fields = method_form(
            client, frequency="monthly", amount="5", currency="USD", email="reader@example.org"
        )
        assert client.post("/support/", fields).status_code == 302
        pledge = Pledge.objects.get()
        first = invoice_of_period(btcpay, pledge, 0)
        assert first["metadata"]["samizdat_period"] == 0
        pay_period(client, btcpay, first)
        pledge.refresh_from_db()
        assert pledge.status == "active" and pledge.activated_at == START
        # The goal counts what the plan paid, never what it promises.
        progress = progress_for(START)
        assert (progress.recurring_minor, progress.one_off_minor) == (0, 500)

        # Nothing is due yet.
        assert run_reminders() == {"reminded": 0, "past_due": 0, "ended": 0}
        assert mail.outbox == []

        # Three days before the second period (10 February), one e-mail with its invoice.
        clock.move_to(datetime(2027, 2, 7, 13, 0, tzinfo=UTC))
        call_command("send_btcpay_reminders")
        (reminder,) = mail.outbox
        assert reminder.to == ["reader@example.org"]
        assert "$5.00" in reminder.body
        assert run_reminders()["reminded"] == 0 and len(mail.outbox) == 1  # once a period
        # The link opens a fresh invoice when clicked, days later if need be.
        pay_path = re.search(r"https?://[^/\s]+(/support/pay/\S+/)", reminder.body).group(1)
        assert not [i for i in btcpay.invoices.values() if i["metadata"]["orderId"].endswith("-1")]
        clock.move_to(datetime(2027, 2, 9, 20, 0, tzinfo=UTC))
        btcpay.fault = "500"
        down = client.get(pay_path)
        assert down.status_code == 503 and "in a minute to pay $5.00" in down.content.decode()
        opened = client.get(pay_path)
        second = invoice_of_period(btcpay, pledge, 1)
        assert opened["Location"] == second["checkoutLink"]
        assert client.get(pay_path)["Location"] == second["checkoutLink"]  # the same one
        assert client.get(pay_path.replace("/pay/", "/pay/x")).status_code == 404
        pay_period(client, btcpay, second)
        pledge.refresh_from_db()
        assert pledge.status == "active"
        assert pledge.ledger_entries.filter(kind="payment").count() == 2
        # Paid: the link now leads to the thank-you page, not to another invoice.
        assert client.get(pay_path)["Location"].endswith(f"/support/thanks/{pledge.reference}/")

        # The third period (10 March) is not paid: past due once the grace (7 days) ends.
        clock.move_to(datetime(2027, 3, 16, 13, 0, tzinfo=UTC))
        assert run_reminders() == {"reminded": 1, "past_due": 0, "ended": 0}
        clock.move_to(datetime(2027, 3, 18, 13, 0, tzinfo=UTC))
        with django_capture_on_commit_callbacks(execute=True):
            assert run_reminders()["past_due"] == 1
        pledge.refresh_from_db()
        assert pledge.status == "past_due"
        unpaid = mail.outbox[-1]
        assert "for this period has not arrived" in unpaid.body
        assert "card" not in unpaid.body
        assert run_reminders()["past_due"] == 0  # marked once
        assert Pledge.objects.get().status == "past_due"

        # A payment (the next day) brings it back; the next due date moves on by a period.
        clock.move_to(datetime(2027, 3, 19, 9, 0, tzinfo=UTC))
        third_link = re.search(r"https?://[^/\s]+(/support/pay/\S+/)", mail.outbox[-2].body)
        client.get(third_link.group(1))
        pay_period(client, btcpay, invoice_of_period(btcpay, pledge, 2))
        pledge.refresh_from_db()
        assert pledge.status == "active"

        # Then three periods (10 April, May, June) go unpaid: the plan ends.
        clock.move_to(datetime(2027, 4, 18, 13, 0, tzinfo=UTC))
        assert run_reminders()["past_due"] == 1
        clock.move_to(datetime(2027, 5, 18, 13, 0, tzinfo=UTC))
        assert run_reminders()["ended"] == 0
        clock.move_to(datetime(2027, 6, 18, 13, 0, tzinfo=UTC))
        assert run_reminders()["ended"] == 1
        pledge.refresh_from_db()
        assert pledge.status == "canceled"
        assert run_reminders() == {"reminded": 0, "past_due": 0, "ended": 0}
        assert pledge.ledger_entries.filter(kind="payment").count() == 3


def test_the_supporter_can_end_a_reminder_plan(client, btcpay, settings):
    from samizdat.support.actions.plans import cancel_plan, capabilities

    with time_machine.travel(START, tick=False):
        fields = method_form(client, frequency="annual", amount="50", email="reader@example.org")
        client.post("/support/", fields)
        pledge = Pledge.objects.get()
        invoice = invoice_of_period(btcpay, pledge, 0)
        btcpay.pay(invoice["id"], "0.001")
        btcpay.set_status(invoice["id"], "Settled")
        deliver(client, event("InvoiceSettled", invoice, overPaid=False))
        pledge.refresh_from_db()
        assert capabilities(pledge) == {
            "can_change": True,  # the amount of the next invoices
            "can_pause": False,
            "can_resume": False,
            "can_cancel": True,
        }
        # "Manage my support" tells when the next payment is due, and offers to end it.
        client.post("/support/manage/", {"email": "reader@example.org"})
        link = re.search(r"https?://\S+(/support/manage/link/\S+/)", mail.outbox[-1].body)
        assert client.post(link.group(1)).status_code == 302
        account = client.get("/support/manage/account/").content.decode()
        assert "Next payment due: Jan. 10, 2028." in account
        assert "Cancel" in account and "Change amount or frequency" in account
        cancel_plan(pledge)
        pledge.refresh_from_db()
        assert pledge.status == "canceled"
