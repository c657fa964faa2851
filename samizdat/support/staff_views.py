"""Admin views of the Fundraising section: the dashboard and confirming bank transfers.

Registered by the viewsets in support/wagtail_hooks.py, which put them
under the admin's login and URL prefix; each checks its own permission.
"""

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from wagtail.admin.views.generic import InspectView
from wagtail.admin.widgets import AdminDateInput

from . import audit
from .models import Contribution
from .money import AmountError, format_money, major_string, parse_amount

DASHBOARD_PERMISSION = "support.view_fundraising_dashboard"
TRANSFER_PERMISSION = "support.confirm_bank_transfer"
# Who may see supporters may see who looked at them (Fundraising and superusers).
ACCESS_LOG_PERMISSION = "support.view_supporter"


def _amount(obj):
    return format_money(obj.amount_minor, obj.currency)


def awaits_transfer(obj):
    """A pending gift by a manual method (bank transfer): staff confirm its arrival."""
    from .providers.base import get_provider

    if obj.status != Contribution.Status.PENDING:
        return False
    try:
        return get_provider(obj.provider).manual
    except KeyError:
        return False


class TransferForm(forms.Form):
    amount = forms.CharField(label=_("Amount received"), max_length=20)
    received_on = forms.DateField(label=_("Date received"), widget=AdminDateInput)

    def __init__(self, *args, contribution, **kwargs):
        super().__init__(*args, **kwargs)
        self.contribution = contribution

    def clean_amount(self):
        try:
            return parse_amount(self.cleaned_data["amount"], self.contribution.currency)
        except AmountError as exc:
            raise forms.ValidationError(exc.message) from exc

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return received_on


def transfer_view(request, pk):
    """Confirm that a bank transfer arrived: a provider event, applied to the ledger."""
    from .actions.transfers import mark_transfer_received

    if not request.user.has_perm(TRANSFER_PERMISSION):
        raise PermissionDenied
    contribution = get_object_or_404(Contribution.objects.select_related("supporter"), pk=pk)
    if request.method == "GET":
        audit.log_record(request, contribution, view="transfer")
    if not awaits_transfer(contribution):
        messages.error(request, _("This contribution is not waiting for a bank transfer."))
        return redirect("contributions:index")
    form = TransferForm(
        request.POST or None,
        contribution=contribution,
        initial={
            "amount": major_string(contribution.amount_minor, contribution.currency),
            "received_on": timezone.localdate(),
        },
    )
    if request.method == "POST" and form.is_valid():
        received_on = form.cleaned_data["received_on"]
        received_at = timezone.now()
        if received_on != timezone.localdate():
            received_at = timezone.make_aware(
                datetime.datetime.combine(received_on, datetime.time(12))
            )
        with transaction.atomic():
            mark_transfer_received(
                contribution,
                amount_minor=form.cleaned_data["amount"],
                received_at=received_at,
                staff_user=request.user,
            )
            audit.log_transfer_received(request, contribution, form.cleaned_data["amount"],
                                        received_on)
        messages.success(
            request,
            _("Transfer %(reference)s recorded as received.")
            % {"reference": contribution.reference},
        )
        return redirect("contributions:index")
    return render(
        request,
        "support/staff/transfer.html",
        {"contribution": contribution, "amount": _amount(contribution), "form": form},
    )


def dashboard_view(request):
    from .charts import bar_chart_svg
    from .dashboard import build_dashboard
    from .goal import minor_exponent, public_figures
    from .templatetags.funding_tags import whole_money

    if not request.user.has_perm(DASHBOARD_PERMISSION):
        raise PermissionDenied
    data = build_dashboard()
    currency = data.progress.currency
    scale = 10 ** minor_exponent(currency)
    chart = bar_chart_svg(
        [(item.month, item.amount_minor / scale) for item in data.revenue],
        title=str(_("Money received per month (%(currency)s)") % {"currency": currency}),
        value_label=lambda value: whole_money(int(value), currency),
    )
    return render(
        request,
        "support/staff/dashboard.html",
        {
            "data": data,
            "funding": public_figures(data.progress, "exact"),
            "raised": format_money(data.progress.raised_minor, currency),
            "goal": format_money(data.progress.goal_minor, currency),
            "one_off": format_money(data.progress.one_off_minor, currency),
            "mrr": format_money(data.mrr_minor, currency),
            "chart": chart,
        },
    )


class FundraisingInspectView(InspectView):
    """A gift's or plan's detail page; each opening is an audit-log entry."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        audit.log_record(request, self.object)
        return response


@require_GET
def access_log_view(request):
    """Read-only: who viewed or exported supporters' records, newest first."""
    from django.core.paginator import Paginator
    from wagtail.models import ModelLogEntry

    if not request.user.has_perm(ACCESS_LOG_PERMISSION):
        raise PermissionDenied
    entries = (
        ModelLogEntry.objects.filter(action__in=audit.ACTIONS)
        .select_related("user", "content_type")
        .order_by("-timestamp", "-pk")
    )
    page = Paginator(entries, 50).get_page(request.GET.get("p"))
    return render(
        request,
        "support/staff/access_log.html",
        {"page": page, "rows": [audit.describe(entry) for entry in page]},
    )
