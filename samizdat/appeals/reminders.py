"""Remind me later without e-mail: a calendar file for the reminder date.

The file holds a date, the outlet's name and a link to the contribution
page: nothing about the reader. The same text is built in the browser by
appeals.js (so it works on a mirror); this server version serves readers
with JavaScript off and is cacheable, since it depends only on the day.
"""

import datetime


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

    from .models import EmailReminder

    today = today or timezone.localdate()
    return EmailReminder.objects.create(
        email=email,
        send_on=today + datetime.timedelta(days=max(1, min(int(days), 366))),
        language=language,
        token=secrets.token_urlsafe(32),
    )


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
        message.send()
        reminder.delete()
        sent += 1
    return sent
