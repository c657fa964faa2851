"""Remind me later without e-mail: a calendar file for the reminder date.

The file holds a date, the outlet's name and a link to the contribution
page: nothing about the reader. The same text is built in the browser by
appeals.js (so it works on a mirror); this server version serves readers
with JavaScript off and is cacheable, since it depends only on the day.
"""

import datetime
import logging
import smtplib

logger = logging.getLogger(__name__)


def ics_escape(value):
    return (
        str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        .replace("\r", "").replace("\n", "\\n")
    )


def reminder_ics(on_date, summary, url, host, today=None):
    """An RFC 5545 calendar with one all-day event on `on_date`."""
    today = today or datetime.date.today()
    day = on_date.strftime("%Y%m%d")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Samizdat//Appeals//EN",
        "CALSCALE:GREGORIAN",
        "BEGIN:VEVENT",
        f"UID:reminder-{day}@{ics_escape(host)}",
        f"DTSTAMP:{today.strftime('%Y%m%d')}T000000Z",
        f"DTSTART;VALUE=DATE:{day}",
        f"DTEND;VALUE=DATE:{(on_date + datetime.timedelta(days=1)).strftime('%Y%m%d')}",
        f"SUMMARY:{ics_escape(summary)}",
        f"DESCRIPTION:{ics_escape(url)}",
        f"URL:{ics_escape(url)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def create_email_reminder(email, days, language, today=None):
    """Store one reminder: the address, the day, the language and a cancel token."""
    import secrets

    from django.utils import timezone

    from samizdat.core.crypto import blind_index

    from .models import EmailReminder

    today = today or timezone.localdate()
    reminder = EmailReminder(
        email=email,
        send_on=today + datetime.timedelta(days=max(1, min(int(days), 366))),
        language=language,
        token=secrets.token_urlsafe(32),
    )
    # One pending reminder per address: asking twenty times (or someone else asking
    # with this address) never sends more than one message. The answer looks the
    # same; the unsaved reminder's cancel link cancels nothing.
    if not EmailReminder.objects.filter(email_index=blind_index(email)).exists():
        reminder.save()
    return reminder


def send_due_reminders(today=None):
    """Send every reminder due by `today`, then delete it: one message, then forgotten.

    The message is discreet (a neutral subject, no outlet name in it) because
    an inbox may be watched; the link and the unsubscribe header carry the rest.
    """
    from django.conf import settings
    from django.core.mail import EmailMessage
    from django.urls import reverse
    from django.utils import timezone, translation
    from django.utils.translation import gettext as _

    from .models import EmailReminder
    from .widget import contribute_url

    today = today or timezone.localdate()
    sent = 0
    for reminder in EmailReminder.objects.filter(send_on__lte=today).order_by("pk"):
        with translation.override(reminder.language):
            cancel = settings.SITE_URL + reverse("appeals:email_reminder_cancel",
                                                 args=[reminder.token])
            body = _(
                "Hello,\n\nYou asked us to remind you today. If you would like to, you can "
                "give here:\n%(url)s\n\nThis is the only message you will get: your address "
                "has now been deleted.\n"
            ) % {"url": settings.SITE_URL + contribute_url()}
            message = EmailMessage(
                subject=_("Your reminder"),
                body=body,
                to=[reminder.email],
                headers={"List-Unsubscribe": f"<{cancel}>",
                         "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
            )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused:
            # Refused for good: we promised one message, so the address goes.
            logger.warning("Reminder %s: the mail server refused its address; deleted.",
                           reminder.pk)
            reminder.delete()
            continue
        except Exception as exc:  # noqa: BLE001 - one bad item must not stop the rest
            # Kept for the next run; the exception's text may name the address.
            logger.warning("Reminder %s not sent (%s); tried again next run.",
                           reminder.pk, type(exc).__name__)
            continue
        reminder.delete()
        sent += 1
    return sent


def reminder_allowed(request):
    """Reminder requests per client (keyed hash, kept only in the cache), sized so a
    Tor exit or a shared VPN address is not locked out by its readers' ordinary
    requests: a victim's address is protected by the one-per-address rule."""
    from django.conf import settings

    from samizdat.support.api import allow, client_key

    maximum, window = getattr(settings, "APPEALS_REMINDER_LIMIT", (20, 3600))
    return allow("reminder-client", client_key(request), maximum, window)
