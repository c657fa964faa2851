"""Thin views: the anonymous event counter and the reminder calendar file."""

import datetime
import json
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from .counters import Rejected, parse_event, record
from .limits import client_may_count
from .reminders import reminder_ics
from .widget import contribute_url

MAX_BODY = 512
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def quiet(status, text=""):
    """A response Django will not log: the request leaves no trace (status >= 400 included)."""
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True
    return response


def read_small_body(request):
    """At most MAX_BODY bytes, or None if the body is bigger."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if declared > MAX_BODY:
        return None
    body = request.read(MAX_BODY + 1)
    return None if len(body) > MAX_BODY else body


def decode(body, content_type):
    text = body.decode("utf-8")
    if content_type == JSON:
        return json.loads(text)
    return {key: values[0] for key, values in parse_qs(text, max_num_fields=5).items()}


@csrf_exempt
def event(request):
    """POST {appeal, variant, kind} → +1 on a per-day counter. 204 when counted.

    It reads no cookie, session, user agent or referrer, and nothing is logged,
    whatever the outcome (see docs/appeals.md for the web server); the client's
    address is used only hashed, in the cache, for the per-client limit (limits.py).
    """
    if request.method != "POST":
        response = quiet(405)
        response["Allow"] = "POST"
        return response
    content_type = (request.META.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    if content_type not in (FORM, JSON):
        return quiet(415, "form or JSON only")
    body = read_small_body(request)
    if body is None:
        return quiet(413, "too big")
    try:
        appeal_id, variant, kind = parse_event(decode(body, content_type))
    except (Rejected, ValueError, UnicodeDecodeError) as error:
        return quiet(400, str(error) if isinstance(error, Rejected) else "malformed")
    if not client_may_count(request, appeal_id, kind) or not record(appeal_id, variant, kind):
        return quiet(429, "too many")
    return quiet(204)


def reminder_calendar(request, days):
    """A .ics file for a day `days` from today; the same for everyone that day."""
    from samizdat.news.models import OutletSettings

    days = max(1, min(int(days), 366))
    today = timezone.localdate()
    outlet = OutletSettings.for_request(request).name
    url = settings.SITE_URL + contribute_url()
    text = reminder_ics(
        today + datetime.timedelta(days=days),
        _("Support %(outlet)s") % {"outlet": outlet},
        url,
        urlsplit(settings.SITE_URL).hostname or "localhost",
        today=today,
        variant=f"{days}d-{translation.get_language() or settings.LANGUAGE_CODE}",
    )
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="reminder.ics"'
    response["Cache-Control"] = "public, max-age=3600"
    return response


def email_reminder(request, days):
    """A page of its own (the only one with a CSRF cookie): an address, consent, one date."""
    from django import forms
    from django.http import Http404
    from django.shortcuts import render
    from django.utils.translation import get_language

    from .models import AppealSettings
    from .reminders import create_email_reminder, reminder_allowed

    if not AppealSettings.load(request_or_site=request).email_reminders:
        raise Http404

    class ReminderForm(forms.Form):
        email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
        consent = forms.BooleanField(
            label=_("Yes, send me one reminder on this date. Delete my address afterwards."),
        )

    days = max(1, min(int(days), 366))
    on_date = timezone.localdate() + datetime.timedelta(days=days)
    form = ReminderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not reminder_allowed(request):
            return render(request, "appeals/email_reminder.html",
                          {"form": form, "on_date": on_date, "days": days,
                           "too_many": True}, status=429)
        reminder = create_email_reminder(form.cleaned_data["email"], days, get_language() or "en")
        return render(request, "appeals/email_reminder_done.html", {"reminder": reminder})
    status = 400 if request.method == "POST" else 200
    return render(request, "appeals/email_reminder.html",
                  {"form": form, "on_date": on_date, "days": days}, status=status)


@csrf_exempt
def email_reminder_cancel(request, token):
    """One-click unsubscribe (RFC 8058): a POST to this link deletes the reminder."""
    from django.shortcuts import render

    from .models import EmailReminder

    if request.method == "POST":
        EmailReminder.objects.filter(token=token).delete()
        return render(request, "appeals/email_reminder_cancelled.html")
    exists = EmailReminder.objects.filter(token=token).exists()
    return render(request, "appeals/email_reminder_cancel.html", {"exists": exists})
