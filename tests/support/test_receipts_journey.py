"""A supporter's whole journey through the demo provider, every e-mail over real SMTP."""

import re
from urllib.parse import urlsplit

import pytest

from samizdat.support.models import LedgerEntry, Pledge
from tests.smtp import parts

pytestmark = pytest.mark.django_db


def _path(text, fragment):
    url = re.search(rf"https?://\S*{re.escape(fragment)}\S*", text).group(0)
    return urlsplit(url).path


def test_give_monthly_get_receipt_sign_in_by_email_and_cancel(
    client, smtp_inbox, outlet, django_capture_on_commit_callbacks
):
    # The reader gives $7 a month through the demo provider.
    response = client.post("/support/", {
        "frequency": "monthly", "currency": "USD", "amount": "7",
        "email": "reader@example.org", "method": "demo",
    })
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"action": "pay"})
    pledge = Pledge.objects.get()
    assert pledge.status == "active"
    assert LedgerEntry.objects.filter(pledge=pledge, kind="payment").count() == 1

    # The verified payment event sent a receipt.
    [receipt] = smtp_inbox.wait_for(1)
    assert receipt["Subject"] == "Your receipt from The Free Courier"
    text, html = parts(receipt)
    assert "$7.00" in text and "Monthly contribution" in text and "$7.00" in html

    # They ask for a link, which arrives by e-mail and signs them in.
    client.post("/support/manage/", {"email": "Reader@Example.org"})
    link_mail = smtp_inbox.wait_for(2)[1]
    link_text, link_html = parts(link_mail)
    link = _path(link_text, "/support/manage/link/")
    assert link in link_html
    assert client.post(link)["Location"] == "/support/manage/account/"
    assert "$7.00" in client.get("/support/manage/account/").content.decode()

    # They cancel; the provider's event cancels the pledge and a notice follows.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/support/manage/pledges/{pledge.pk}/cancel/", {"reason": ""})
    pledge.refresh_from_db()
    assert pledge.status == "canceled"
    notice = smtp_inbox.wait_for(3)[2]
    assert notice["Subject"] == "Your contribution has been canceled"
    assert "$7.00 monthly" in parts(notice)[0]


def test_failed_renewal_sends_the_fix_it_notice(
    client, smtp_inbox, outlet, django_capture_on_commit_callbacks
):
    from samizdat.support.providers.base import get_provider

    response = client.post("/support/", {
        "frequency": "annual", "currency": "EUR", "amount": "60",
        "email": "annual@example.org", "method": "demo",
    })
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"], {"action": "pay"})
    smtp_inbox.wait_for(1)
    pledge = Pledge.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        get_provider("demo").simulate_renewal(pledge, fail=True)

    notice = smtp_inbox.wait_for(2)[1]
    pledge.refresh_from_db()
    assert pledge.status == "past_due"
    assert notice["Subject"] == "Your contribution could not be collected"
    text, html = parts(notice)
    assert "/support/manage/" in text and "/support/manage/" in html
