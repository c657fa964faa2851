"""'Download my data' and 'Delete my data': thin views over support/donordata.py.

Both sit behind the same single-use-link session as the rest of 'Manage my
support' (selfservice_views._signed_in). Deleting is a POST with a CSRF token
and a ticked box, so it works with JavaScript off and cannot be triggered by
a link.
"""

import json

from django import forms
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from . import donordata
from .selfservice_views import _noindex, _signed_in


class DeleteForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: delete my e-mail address and everything that links my "
                "payments to me."),
        error_messages={"required": _("Tick the box to confirm. Nothing was deleted.")},
    )


@_signed_in
def data_download(request, email_index):
    """The JSON file of everything held under the signed-in address."""
    data = donordata.export(email_index)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body + "\n", content_type="application/json; charset=utf-8")
    filename = f"my-support-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@_signed_in
def data_delete(request, email_index):
    """GET explains; POST with the box ticked cancels open plans, then erases."""
    form = DeleteForm(request.POST if request.method == "POST" else None)
    error, canceled = None, []
    if request.method == "POST" and form.is_valid():
        try:
            donordata.erase(email_index)
        except donordata.ErasureError as exc:
            error, canceled = exc.message, exc.canceled
        else:
            request.session.flush()  # signed out: a new, empty session
            return redirect("support:manage_deleted")
    summary = donordata.summary(email_index, get_language())
    return render(
        request,
        "support/selfservice/delete.html",
        {
            "form": form,
            "summary": summary,
            "error": error,
            "canceled": [donordata.plan_label(p) for p in canceled],
        },
    )


@never_cache
def data_deleted(request):
    return _noindex(render(request, "support/selfservice/deleted.html"))
