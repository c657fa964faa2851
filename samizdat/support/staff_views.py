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
from django.urls import reverse
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
        messages.error(request, _("This one-off gift is not waiting for a bank transfer."))
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


class RangeForm(forms.Form):
    """The dashboard's dates, from a plain GET form (no script needed)."""

    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        from .dashboard import MAX_RANGE_DAYS, DateRange, default_range

        cleaned = super().clean()
        if self.errors:
            return cleaned
        today = timezone.localdate()
        default = default_range(today)
        start = cleaned.get("start") or default.start
        end = cleaned.get("end") or (today if cleaned.get("start") else default.end)
        if start > end:
            raise forms.ValidationError(_("The start date must be on or before the end date."))
        if (end - start).days > MAX_RANGE_DAYS:
            raise forms.ValidationError(
                _("Choose at most three years at a time."))
        cleaned["range"] = DateRange(start, end)
        return cleaned


# The figures staff can download, with the file name each downloads as.
FIGURES = {
    "revenue": "money-per-month",
    "mrr": "monthly-recurring-revenue",
    "plans": "new-and-canceled-plans",
    "appeals": "revenue-by-appeal",
    "currencies": "revenue-by-currency",
}


def _range_from(request):
    """(form, DateRange): the range asked for, or the default one when the dates are bad."""
    from .dashboard import default_range

    form = RangeForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["range"]
    return form, default_range(timezone.localdate())


def _charts(figures):
    """The SVG of each figure, amounts in the goal currency's major units."""
    from .charts import (
        bar_chart_svg,
        grouped_bar_chart_svg,
        horizontal_bar_chart_svg,
        line_chart_svg,
    )
    from .goal import minor_exponent
    from .templatetags.funding_tags import whole_money

    currency = figures.currency
    scale = 10 ** minor_exponent(currency)

    def money(value):
        return whole_money(int(value), currency)

    def major(cell):
        return cell.amount_minor / scale if cell is not None else 0

    revenue = figures.revenue.rows
    return {
        "revenue": grouped_bar_chart_svg(
            [row[0] for row in revenue],
            [(str(_("One-off gifts")), [major(row[1]) for row in revenue]),
             (str(_("Recurring plans")), [major(row[2]) for row in revenue])],
            title=str(_("Money received per month, one-off and recurring (%(currency)s)")
                      % {"currency": currency}),
            value_label=money, ident="chart-revenue"),
        "mrr": line_chart_svg(
            [(row[0], major(row[1])) for row in figures.mrr.rows],
            title=str(_("Monthly recurring revenue at each month's end (%(currency)s)")
                      % {"currency": currency}),
            value_label=money, ident="chart-mrr"),
        "plans": grouped_bar_chart_svg(
            [row[0] for row in figures.plans.rows],
            [(str(_("New plans")), [row[1] for row in figures.plans.rows]),
             (str(_("Canceled plans")), [row[2] for row in figures.plans.rows])],
            title=str(_("New and canceled recurring plans per month")),
            value_label=lambda value: str(int(value)), ident="chart-plans"),
        "appeals": horizontal_bar_chart_svg(
            [(f"{row[0]} · {row[1]}" if row[1] else row[0], major(row[3]))
             for row in figures.appeals.rows if row[3] is not None],
            title=str(_("Revenue by appeal and variant (%(currency)s)")
                      % {"currency": currency}),
            value_label=money, ident="chart-appeals"),
        "currencies": bar_chart_svg(
            [(row[0], major(row[2])) for row in figures.currencies.rows
             if row[2] is not None],
            title=str(_("Revenue by currency, converted to %(currency)s")
                      % {"currency": currency}),
            value_label=money, ident="chart-currencies"),
    }


def _shown(cell):
    """A table cell as the page shows it: money as the rest of the admin does ("$755.00")."""
    from .dashboard import Money

    if cell is None:
        return _("no exchange rate")
    if isinstance(cell, Money):
        return format_money(cell.amount_minor, cell.currency)
    return cell


def dashboard_view(request):
    from django.utils.http import urlencode

    from .dashboard import build_dashboard, build_figures
    from .goal import public_figures

    if not request.user.has_perm(DASHBOARD_PERMISSION):
        raise PermissionDenied
    data = build_dashboard()
    form, date_range = _range_from(request)
    figures = build_figures(date_range)
    currency = data.progress.currency
    charts = _charts(figures)
    query = urlencode({"start": date_range.start.isoformat(), "end": date_range.end.isoformat()})
    sections = [
        {"name": name, "chart": charts[name], "headings": getattr(figures, name).headings,
         "rows": [[_shown(cell) for cell in row] for row in getattr(figures, name).rows],
         "csv_url": f"{reverse('fundraising:csv', args=[name])}?{query}"}
        for name in FIGURES
    ]
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
            "form": form,
            "figures": figures,
            "sections": {section["name"]: section for section in sections},
        },
    )


@require_GET
def figure_csv_view(request, figure):
    """One dashboard figure as CSV, for the dates the page shows; bad dates change nothing."""
    from django.http import Http404, HttpResponseBadRequest

    from .dashboard import build_figures
    from .exports import table_csv

    if not request.user.has_perm(DASHBOARD_PERMISSION):
        raise PermissionDenied
    if figure not in FIGURES:
        raise Http404
    form = RangeForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        errors = "; ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    date_range = form.cleaned_data["range"] if form.is_bound else _range_from(request)[1]
    table = getattr(build_figures(date_range), figure)
    filename = f"{FIGURES[figure]}-{date_range.start:%Y-%m-%d}-{date_range.end:%Y-%m-%d}"
    return table_csv(table, filename)


class FundraisingInspectView(InspectView):
    """A gift's or plan's detail page; each opening is an audit-log entry.

    "amount" is the money as the rest of the admin shows it ("$755.00"), not the
    stored minor units and code apart.
    """

    def get_field_label(self, field_name, field):
        if field_name == "amount":
            return _("Amount per period") if getattr(self.object, "recurring", False) \
                else _("Amount")
        return super().get_field_label(field_name, field)

    def get_amount_display_value(self):
        return _amount(self.object)

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
