"""Receipts and notices, end to end: money signal → task → Django SMTP → a real server."""

import re
from urllib.parse import urlsplit

import pytest

from samizdat.support import events
from samizdat.support.models import SupporterEmailSettings
from tests.smtp import parts

from .rows import make_gift, make_pledge

pytestmark = pytest.mark.django_db


def _path(url):
    parts_ = urlsplit(url)
    return parts_.path + (f"?{parts_.query}" if parts_.query else "")


def _link(text, path_part):
    match = re.search(rf"https?://\S*{re.escape(path_part)}\S*", text)
    assert match, f"no link containing {path_part!r} in:\n{text}"
    return match.group(0)


def test_payment_receipt_arrives_over_smtp_with_text_and_html(smtp_inbox, outlet, client):
    gift, entry = make_gift("reader@example.org", 2500, "USD")

    events.payment_recorded.send(sender=type(entry), entry=entry)

    [message] = smtp_inbox.wait_for(1)
    assert message["To"] == "reader@example.org"
    assert message["From"] == "The Free Courier <newsroom@localhost>"
    assert message["Subject"] == "Your receipt from The Free Courier"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    for body in (text, html):
        assert "$25.00" in body
        assert f"{gift.reference}-{entry.pk}" in body
        assert "Free Courier Media SIA" in body
        assert "Riga LV-1010" in body
        assert "One-off gift" in body
    assert "<table>" in html
    receipt_page = client.get(_path(_link(text, "/support/receipts/")))
    assert receipt_page.status_code == 200
    assert "$25.00" in receipt_page.content.decode()
    assert "/support/manage/" in _link(text, "/support/manage/")


def test_discreet_receipt_names_no_outlet_and_no_amount(smtp_inbox, outlet, client, settings):
    settings.SUPPORT_DISCREET_FROM_EMAIL = "notices@mail.example"
    prefs = SupporterEmailSettings.load()
    prefs.discreet = True
    prefs.discreet_sender_name = "Account notifications"
    prefs.discreet_subject = "Your account update"
    prefs.save()
    _gift, entry = make_gift("reader@example.org", 2500, "USD")

    events.payment_recorded.send(sender=type(entry), entry=entry)

    [message] = smtp_inbox.wait_for(1)
    assert message["From"] == "Account notifications <notices@mail.example>"
    assert message["Subject"] == "Your account update"
    raw = message.as_string()
    text, html = parts(message)
    for body in (raw, text, html):
        assert "Courier" not in body
        assert "25.00" not in body
    # The details are behind the link.
    page = client.get(_path(_link(text, "/support/receipts/"))).content.decode()
    assert "$25.00" in page and "Free Courier Media SIA" in page


def test_failed_renewal_notice_links_to_manage_support(smtp_inbox, outlet):
    pledge, _entry = make_pledge("monthly@example.org", 500, status="past_due")

    events.renewal_failed.send(sender=type(pledge), pledge=pledge)

    [message] = smtp_inbox.wait_for(1)
    assert message["To"] == "monthly@example.org"
    assert message["Subject"] == "Your contribution could not be collected"
    text, html = parts(message)
    assert "$5.00 monthly" in text
    assert "http://127.0.0.1:8000/support/manage/" in text
    assert 'href="http://127.0.0.1:8000/support/manage/"' in html


def test_cancellation_notice_in_the_supporters_language(smtp_inbox, outlet):
    pledge, _entry = make_pledge("ru@example.org", 1000, "EUR", frequency="annual",
                                 status="canceled", language="ru")

    events.pledge_canceled.send(sender=type(pledge), pledge=pledge)

    [message] = smtp_inbox.wait_for(1)
    text, html = parts(message)
    assert message["Subject"].strip() == "Ваши взносы отменены"
    assert "Больше списаний не будет" in text and "Больше списаний не будет" in html
    assert "10,00\xa0€ в год" in text
    assert "/ru/support/manage/" in text
    assert "Free Courier Media SIA" in text and "Free Courier Media SIA" in html


def test_gift_without_an_address_sends_nothing(smtp_inbox, outlet):
    from samizdat.support.tasks import send_receipt

    _gift, entry = make_gift(email=None)
    result = send_receipt.enqueue(entry.pk)
    assert result.return_value is False
    assert smtp_inbox.messages == []


def test_receipt_for_a_russian_reader_is_in_russian(smtp_inbox, outlet):
    _gift, entry = make_gift("ru@example.org", 5000, "EUR", language="ru")

    events.payment_recorded.send(sender=type(entry), entry=entry)

    [message] = smtp_inbox.wait_for(1)
    assert message["Subject"].strip() == "Ваша квитанция от The Free Courier"
    text, html = parts(message)
    assert "Разовое пожертвование" in text and "Разовое пожертвование" in html
    assert "50,00\xa0€" in text
    assert "http://127.0.0.1:8000/ru/support/receipts/" in text


def test_discreet_sign_in_link_names_no_outlet(smtp_inbox, outlet, client):
    prefs = SupporterEmailSettings.load()
    prefs.discreet = True
    prefs.save()
    make_gift("reader@example.org")

    client.post("/support/manage/", {"email": "reader@example.org"})

    [message] = smtp_inbox.wait_for(1)
    assert message["Subject"] == "Your account update"
    text, html = parts(message)
    assert "Courier" not in message.as_string()
    assert "/support/manage/link/" in text and "/support/manage/link/" in html


def test_a_receipt_queued_twice_is_sent_once(smtp_inbox, outlet):
    from samizdat.support.models import ReceiptDelivery
    from samizdat.support.tasks import send_receipt

    _gift, entry = make_gift("reader@example.org", 2500, "USD")
    first = send_receipt.enqueue(entry.pk)
    second = send_receipt.enqueue(entry.pk)  # a redelivered job, or the recovery sweep

    assert (first.return_value, second.return_value) == (True, False)
    assert len(smtp_inbox.messages) == 1
    assert smtp_inbox.messages[0]["Message-ID"].startswith("<receipt-")
    assert ReceiptDelivery.objects.get(entry=entry).sent_at is not None


def test_a_receipt_the_mail_server_refused_is_sent_by_the_next_sweep(smtp_inbox, outlet,
                                                                      settings):
    from django.core.management import call_command

    from samizdat.support.models import ReceiptDelivery
    from samizdat.support.receipts import pending_entries
    from samizdat.support.tasks import send_receipt
    from tests.conftest import free_port

    _gift, entry = make_gift("reader@example.org", 2500, "USD")
    working_port, settings.EMAIL_PORT = settings.EMAIL_PORT, free_port()  # nobody listens
    result = send_receipt.enqueue(entry.pk)
    assert result.status == "FAILED"
    delivery = ReceiptDelivery.objects.get(entry=entry)
    assert delivery.claimed_at is None and delivery.sent_at is None
    assert list(pending_entries(older_than=0)) == [entry]

    settings.EMAIL_PORT = working_port
    call_command("send_pending_receipts", "--older-than", "0")
    assert len(smtp_inbox.messages) == 1
    assert not pending_entries(older_than=0).exists()
    call_command("send_pending_receipts", "--older-than", "0")
    assert len(smtp_inbox.messages) == 1


def test_a_supporter_can_still_ask_for_a_copy_of_a_receipt_that_was_sent(smtp_inbox, outlet):
    from samizdat.support.tasks import send_receipt

    _gift, entry = make_gift("reader@example.org", 2500, "USD")
    events.payment_recorded.send(sender=type(entry), entry=entry)
    assert send_receipt.enqueue(entry.pk).return_value is False  # the automatic one: once
    assert send_receipt.enqueue(entry.pk, again=True).return_value is True
    assert len(smtp_inbox.messages) == 2


def test_the_manage_page_sends_a_copy_after_the_automatic_receipt(client, mailoutbox):
    from .test_selfservice import sign_in

    _gift, entry = make_gift("reader@example.org", 4200, "USD")
    events.payment_recorded.send(sender=type(entry), entry=entry)
    assert len(mailoutbox) == 1
    sign_in(client, mailoutbox)
    before = len(mailoutbox)
    client.post(f"/support/manage/receipts/{entry.pk}/send/")
    assert len(mailoutbox) == before + 1 and "$42.00" in mailoutbox[-1].body
