"""The Send action for an issue: a confirmation page (GET) and the send itself (POST),
for staff with the "Can send an issue" permission."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from . import sending
from .models import Issue, Subscription
from .render import render_content


def preview(issue):
    content = render_content(issue)
    content.text = content.text.replace("{{UNSUBSCRIBE}}", _("(each reader's own link)"))
    return content


def send_issue(request, pk):
    if not request.user.has_perm("newsletters.send_issue"):
        raise PermissionDenied
    issue = get_object_or_404(Issue.objects.select_related("newsletter"), pk=pk)
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
        "header_title": _("Send an issue")})
