"""The optional e-mail reminder: consent, one message, one-click unsubscribe, then forgotten."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from samizdat.appeals.models import AppealSettings, EmailReminder
from samizdat.appeals.reminders import send_due_reminders

from .conftest import ARTICLE

URL = "/appeals/remind-me-by-email/30/"


@pytest.fixture
def enabled(db):
    switches = AppealSettings.load()
    switches.email_reminders = True
    switches.save()
    return switches


@pytest.mark.django_db
def test_e_mail_reminders_are_off_unless_the_newsroom_enables_them(client, demo_appeals):
    assert client.get(URL).status_code == 404
    assert "remind-me-by-email" not in client.get(ARTICLE).content.decode()


@pytest.mark.django_db
def test_no_reminder_without_explicit_consent(client, demo_site, enabled):
    response = client.post(URL, {"email": "reader@example.org"})
    assert response.status_code == 400
    assert not EmailReminder.objects.exists()


@pytest.mark.django_db
def test_bad_address_is_refused(client, demo_site, enabled):
    response = client.post(URL, {"email": "not an address", "consent": "on"})
    assert response.status_code == 400
    assert not EmailReminder.objects.exists()


@pytest.mark.django_db
def test_one_message_on_the_day_then_the_address_is_deleted(client, demo_appeals, enabled):
    assert "/appeals/remind-me-by-email/30/" in client.get(ARTICLE).content.decode()
    response = client.post(URL, {"email": "reader@example.org", "consent": "on"})
    assert response.status_code == 200 and "Reminder saved" in response.content.decode()
    reminder = EmailReminder.objects.get()
    today = timezone.localdate()
    assert reminder.send_on == today + datetime.timedelta(days=30)
    assert send_due_reminders(today + datetime.timedelta(days=29)) == 0
    assert send_due_reminders(today + datetime.timedelta(days=30)) == 1
    assert send_due_reminders(today + datetime.timedelta(days=31)) == 0
    assert not EmailReminder.objects.exists()
    [message] = mail.outbox
    assert message.to == ["reader@example.org"] and message.subject == "Your reminder"
    assert "/support/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"/appeals/reminder/{reminder.token}/cancel/" in message.extra_headers[
        "List-Unsubscribe"]


@pytest.mark.django_db
def test_one_click_unsubscribe_deletes_the_address(client, demo_site, enabled):
    from django.test import Client

    client.post(URL, {"email": "reader@example.org", "consent": "on"})
    token = EmailReminder.objects.get().token
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(f"/appeals/reminder/{token}/cancel/",
                                {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not EmailReminder.objects.exists()
    assert send_due_reminders(timezone.localdate() + datetime.timedelta(days=400)) == 0
    assert mail.outbox == []
