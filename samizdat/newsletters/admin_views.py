"""The Send action for an issue: a confirmation page (GET) and the send itself (POST),
for staff with the "Can send an issue" permission. The same page schedules the send
for later and cancels a scheduled send (scheduling.py)."""

import datetime
import smtplib
import zoneinfo
from urllib.parse import urlsplit

from csp.decorators import csp
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from . import scheduling, sending
from .models import Issue, Subscription
from .render import render_content, sample_unsubscribe_url


def preview(issue):
    content = render_content(issue)
    own_link = _("(each reader's own link)")
    content.text = content.text.replace("{{UNSUBSCRIBE}}", own_link)
    content.supporter_text = content.supporter_text.replace("{{UNSUBSCRIBE}}", own_link)
    return content


def _sender(request, pk):
    """The issue, for staff who may send it (preview and test included)."""
    if not request.user.has_perm("newsletters.send_issue"):
        raise PermissionDenied
    return get_object_or_404(Issue.objects.select_related("newsletter"), pk=pk)


def _site_origin():
    parts = urlsplit(settings.SITE_URL)
    return f"{parts.scheme}://{parts.netloc}"


# The issue's own HTML, framed by the Send page: it may show our images and its inlined
# styles, nothing else; no script runs, no form posts, and the browser keeps it in a
# sandbox without our origin (no cookies, no admin).
PREVIEW_CSP = {
    "default-src": ["'none'"], "img-src": ["'self'", _site_origin()],
    "style-src": ["'unsafe-inline'"], "base-uri": ["'none'"], "form-action": ["'none'"],
    "frame-ancestors": ["'self'"], "sandbox": [True]}


@xframe_options_sameorigin
@csp(PREVIEW_CSP)
def preview_html(request, pk):
    """The HTML part exactly as render.py makes it for readers (the same function), with
    the unsubscribe link of a preview."""
    issue = _sender(request, pk)
    content = render_content(issue)
    body = content.html.replace("{{UNSUBSCRIBE}}", sample_unsubscribe_url(issue.newsletter))
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _send_test(request, issue):
    """A test to the staff member's own address; readers and counts are not touched."""
    address = (request.user.email or "").strip()
    if not address:
        messages.error(request, _("Your account has no e-mail address. Add one in your "
                                  "account settings to send yourself a test."))
        return redirect("newsletters_send_issue", pk=issue.pk)
    try:
        sending.send_test(issue, address)
    except (smtplib.SMTPException, OSError):
        messages.error(request, _("The mail server did not take the test. Try again later."))
    else:
        # Messages are kept in the session: no address in them (tests/support).
        messages.success(request, _("A test was sent to your account's e-mail address."))
    return redirect("newsletters_send_issue", pk=issue.pk)


def send_issue(request, pk):
    issue = _sender(request, pk)
    if request.method == "POST" and request.POST.get("action") in ("schedule", "cancel"):
        return _schedule_or_cancel(request, issue)
    if request.method == "POST" and request.POST.get("action") == "test":
        return _send_test(request, issue)
    if request.method == "POST":
        try:
            sending.start(issue.pk)
        except sending.NotSendable as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("Sending “%(subject)s”.") % {"subject": issue})
        return redirect("newsletters_send_issue", pk=issue.pk)
    recipients = Subscription.objects.filter(newsletter=issue.newsletter,
                                             confirmed__isnull=False).count()
    return TemplateResponse(request, "newsletters/admin/send_issue.html", {
        "issue": issue, "recipients": recipients, "progress": sending.progress(issue),
        "preview": preview(issue) if issue.status == Issue.Status.DRAFT else None,
        "scheduled_local": _local(issue), "time_zone": issue.newsletter.time_zone,
        "header_title": _("Send an issue")})


def _local(issue):
    """The scheduled time in the newsletter's zone, as text (the template's date filter
    would convert it back to the site's zone)."""
    if issue.scheduled_for is None:
        return None
    local = issue.scheduled_for.astimezone(zoneinfo.ZoneInfo(issue.newsletter.time_zone))
    return {"text": local.strftime("%Y-%m-%d %H:%M"), "input": local.strftime("%Y-%m-%dT%H:%M")}


def _schedule_or_cancel(request, issue):
    """`when` is read in the newsletter's time zone (shown beside the field)."""
    if request.POST["action"] == "cancel":
        if scheduling.cancel(issue.pk):
            messages.success(request, _("The scheduled send is cancelled; the issue is a "
                                        "draft again."))
        else:
            messages.error(request, _("Nothing to cancel: the issue is not scheduled (it "
                                      "may be sending already)."))
        return redirect("newsletters_send_issue", pk=issue.pk)
    try:
        naive = datetime.datetime.strptime(request.POST.get("when", ""), "%Y-%m-%dT%H:%M")
    except ValueError:
        messages.error(request, _("Choose a date and time."))
        return redirect("newsletters_send_issue", pk=issue.pk)
    when = naive.replace(tzinfo=zoneinfo.ZoneInfo(issue.newsletter.time_zone))
    try:
        scheduling.schedule(issue.pk, when)
    except scheduling.NotSchedulable as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Scheduled for %(when)s.") % {
            "when": when.strftime("%Y-%m-%d %H:%M %Z")})
    return redirect("newsletters_send_issue", pk=issue.pk)
