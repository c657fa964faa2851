"""{% funding_progress %}: the goal's progress bar, for appeals and the dashboard."""

from babel import Locale
from babel.core import UnknownLocaleError
from babel.numbers import format_currency
from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def whole_money(amount_major, currency):
    """A whole amount in major units, in the page's language: "$10,000", "10 000 $"."""
    code = (get_language() or "en").replace("-", "_")
    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    pattern = locale.currency_formats["standard"].pattern.replace(".00", "")
    return format_currency(
        amount_major, currency, format=pattern, locale=locale, currency_digits=False
    )


@register.inclusion_tag("support/goal/progress.html")
def funding_progress(funding=None):
    """Render the bar from funding.json's figures (computed if not given)."""
    if funding is None:
        from ..goal_views import funding_data

        funding = funding_data()
    return {"funding": funding, "bar_value": max(0, min(funding.get("percent", 0), 100))}
