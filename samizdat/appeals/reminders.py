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


def reminder_ics(on_date, summary, url, host, today=None, variant=""):
    """An RFC 5545 calendar with one all-day event on `on_date` (icalendar folds long lines
    at 75 octets and escapes text).

    The UID names the day, the variant (how many days, which language) and the host, so
    the six files of one day differ from each other while each stays the same for every
    reader who downloads it that day (one published event, and cacheable); the browser
    version gives each reader an event of their own (appeals.js).
    """
    from icalendar import Calendar, Event

    today = today or datetime.date.today()
    calendar = Calendar()
    calendar.add("prodid", "-//Samizdat//Appeals//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    event = Event()
    suffix = f"-{variant}" if variant else ""
    event.add("uid", f"reminder-{on_date:%Y%m%d}{suffix}@{host}")
    event.add("dtstamp", datetime.datetime.combine(today, datetime.time(), datetime.UTC))
    event.add("dtstart", on_date)
    event.add("dtend", on_date + datetime.timedelta(days=1))
    event.add("summary", summary)
    event.add("description", url)
    event.add("url", url)
    calendar.add_component(event)
    return calendar.to_ical().decode()


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
