"""The staff page that imports a list (importing.py): upload, name the columns, choose
confirmed or opt-in-again, read the report."""

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import importing
from .models import Newsletter


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))
    newsletter = forms.ModelChoiceField(Newsletter.objects.all(), label=gettext_lazy("Newsletter"))
    preset = forms.ChoiceField(
        label=gettext_lazy("Exported from"),
        initial="other",
        choices=[
            ("mailchimp", "Mailchimp"),
            ("substack", "Substack"),
            ("ghost", "Ghost"),
            ("other", gettext_lazy("Another service")),
        ],
    )
    email_column = forms.CharField(
        label=gettext_lazy("Column with the e-mail address"),
        required=False,
        max_length=100,
        help_text=gettext_lazy(
            "Leave empty for the service's usual name (Mailchimp: "
            "“Email Address”, Substack and Ghost: “email”)."
        ),
    )
    language_column = forms.CharField(
        label=gettext_lazy("Column with the reader's language (optional)"),
        required=False,
        max_length=100,
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Consent"),
        widget=forms.RadioSelect,
        initial=importing.OPT_IN,
        choices=[
            (
                importing.CONFIRMED,
                gettext_lazy("They gave consent elsewhere: import them as confirmed"),
            ),
            (
                importing.OPT_IN,
                gettext_lazy("They must opt in again: send each one a confirmation link"),
            ),
        ],
    )
    consent_note = forms.CharField(
        label=gettext_lazy("Where they gave consent"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "Recorded with each imported subscription, e.g. “Mailchimp "
            "sign-up form on our old site, 2019–2025”."
        ),
    )
    valid_rows_only = forms.BooleanField(
        label=gettext_lazy("Import the valid rows even if some rows are bad"), required=False
    )


def import_subscribers(request):
    if not request.user.has_perm("newsletters.import_subscribers"):
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    report = problem = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = importing.import_list(
                data["file"].read(),
                data["newsletter"],
                preset=data["preset"],
                email_column=data["email_column"],
                language_column=data["language_column"],
                mode=data["mode"],
                consent_note=data["consent_note"],
                valid_rows_only=data["valid_rows_only"],
            )
        except importing.ImportProblem as error:
            problem = error.message
        else:
            if report.to_confirm:
                base = settings.SAMIZDAT_DONATION_ORIGIN
                transaction.on_commit(lambda: importing.queue_confirmations(report, base))
    status = 400 if problem or (report and not report.imported) else 200
    return TemplateResponse(
        request,
        "newsletters/admin/import.html",
        {
            "form": form,
            "report": report,
            "problem": problem,
            "header_title": _("Import a list of subscribers"),
        },
        status=status,
    )
