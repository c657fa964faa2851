"""Spreadsheet exports of the fundraising listings.

Wagtail's listing export writes what it is given; these helpers add the
columns staff need (amounts in major units, the e-mail) and neutralise
cells a spreadsheet would run as a formula (CSV injection: a cancellation
reason typed as "=HYPERLINK(...)").
"""

from wagtail.admin.views.generic import IndexView
from wagtail.coreutils import multigetattr

from .money import major_string

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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

    def get_preprocess_function(self, field, value, export_format):
        base = super().get_preprocess_function(field, value, export_format)
        if export_format != self.FORMAT_CSV or not isinstance(value, str):
            return base
        return lambda v: safe_cell(base(v) if base else v)
