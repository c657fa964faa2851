"""Spreadsheet exports of the fundraising listings.

Wagtail's listing export writes what it is given; these helpers add the
columns staff need (amounts in major units, the e-mail), neutralise cells a
spreadsheet would run as a formula (CSV injection: a cancellation reason
typed as "=HYPERLINK(...)"), and record every export in the admin's audit
log (Reports → Site history): who took supporters' data, when, how much.
Every listing page shown is logged too (support/audit.py).
"""

from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic import IndexView
from wagtail.admin.widgets.button import HeaderButton
from wagtail.coreutils import multigetattr
from wagtail.log_actions import LogFormatter, log

from .money import major_string

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_ACTION = "support.export"


class ExportFormatter(LogFormatter):
    label = _("Export supporters' data")

    def format_message(self, log_entry):
        data = log_entry.data or {}
        return _("Exported %(rows)s rows of %(listing)s as %(format)s") % {
            "rows": data.get("rows", "?"),
            "listing": data.get("listing", "?"),
            "format": str(data.get("format", "?")).upper(),
        }


def register_log_actions(actions):
    actions.register_action(EXPORT_ACTION)(ExportFormatter)


def log_export(request, queryset, listing, spreadsheet_format):
    """An audit-log entry for an export, kept against the funding goal settings."""
    from .audit import safe_querystring
    from .models import FundingGoal

    log(
        FundingGoal.load(),
        EXPORT_ACTION,
        user=request.user,
        data={
            "listing": str(listing),
            "format": spreadsheet_format,
            "rows": queryset.count(),
            # Filters as given; a searched address only as a keyed hash (support/audit.py).
            "query": safe_querystring(request.GET),
        },
    )


def safe_cell(value):
    """A text cell a spreadsheet shows as text, never evaluates."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def amount_cell(amount_minor, currency):
    """Minor units as a plain decimal string in major units ("12.50")."""
    return major_string(amount_minor, currency) if currency else ""


class FundraisingIndexView(IndexView):
    """Listings with export columns computed per row and formula-proof text."""

    export_columns = {}  # column name → function(obj) → value

    def to_row_dict(self, item):
        return {
            field: (
                self.export_columns[field](item)
                if field in self.export_columns
                else multigetattr(item, field)
            )
            for field in self.list_export
        }

    def render_to_response(self, context, **response_kwargs):
        """Every listing page shown is an audit-log entry; an export logs itself below."""
        if not self.is_export:
            from .audit import log_listing

            page = context.get("page_obj")
            log_listing(
                self.request,
                self.model,
                context["object_list"],
                count=context.get("items_count", len(context["object_list"])),
                page_number=page.number if page is not None else 1,
            )
        return super().render_to_response(context, **response_kwargs)

    @cached_property
    def header_buttons(self):
        """The downloads as visible buttons beside the title, not inside the "…" menu."""
        buttons = list(super().header_buttons)
        if self.show_export_buttons:
            buttons += [
                HeaderButton(_("Download CSV"), url=self.csv_export_url, icon_name="download"),
                HeaderButton(_("Download XLSX"), url=self.xlsx_export_url,
                             icon_name="download"),
            ]
        return buttons

    @cached_property
    def header_more_buttons(self):
        exports = {self.csv_export_url, self.xlsx_export_url} if self.show_export_buttons else ()
        return [button for button in super().header_more_buttons if button.url not in exports]

    def as_spreadsheet(self, queryset, spreadsheet_format):
        log_export(self.request, queryset, self.model._meta.verbose_name_plural,
                   spreadsheet_format)
        return super().as_spreadsheet(queryset, spreadsheet_format)

    def get_preprocess_function(self, field, value, export_format):
        base = super().get_preprocess_function(field, value, export_format)
        if export_format != self.FORMAT_CSV or not isinstance(value, str):
            return base
        return lambda v: safe_cell(base(v) if base else v)


def table_cell(value):
    """A dashboard table's cell for a CSV: money in plain major units, text formula-proof."""
    from .dashboard import Money

    if value is None:
        return ""
    if isinstance(value, Money):
        return amount_cell(value.amount_minor, value.currency)
    if isinstance(value, int):
        return str(value)
    return safe_cell(value)


def table_csv(table, filename):
    """A dashboard figure as a CSV download: the same rows the page's table shows."""
    import csv

    from django.http import HttpResponse

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow([safe_cell(heading) for heading in table.headings])
    for row in table.rows:
        writer.writerow([table_cell(cell) for cell in row])
    return response
