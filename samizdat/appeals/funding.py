"""The month's goal figures for placeholders, read from the public funding feed.

support owns /funding.json and decides what may be shown (exact, rounded or
only a percentage); appeals show exactly what it publishes, so a
newsroom that hides its figures never leaks them through a banner.
"""

import functools
import logging
from decimal import Decimal, InvalidOperation

import babel
from babel.numbers import format_currency
from django.core.cache import cache

from samizdat.support.api import funding_data

log = logging.getLogger(__name__)
CACHE_KEY = "appeals:funding"
CACHE_SECONDS = 60


def _feed(request=None):
    """support's public funding figures (what /funding.json serves), kept 60 s.

    With a request, read once for it: a page's banner copy and goal bar show
    the same figures, and the second cache read cost as much as the first."""
    if request is not None:
        data = getattr(request, "_samizdat_funding", None)
        if data is None:
            data = request._samizdat_funding = _feed()
        return data
    data = cache.get(CACHE_KEY)
    if data is not None:
        return data
    try:
        data = funding_data() or {}
    except Exception:  # noqa: BLE001 - a broken feed must never break an article page
        log.exception("appeals: could not compute the funding figures")
        data = {}
    cache.set(CACHE_KEY, data, CACHE_SECONDS)
    return data


def forget_funding_figures(sender=None, **kwargs):
    """support dropped its figures (a payment landed, the goal changed): drop ours too,
    so a banner never shows less than /funding.json."""
    cache.delete(CACHE_KEY)


def money(amount, currency, language_code):
    """A whole amount like "$10,000" or "10 000 $" in the reader's language."""
    return _money(str(amount), currency, language_code)


@functools.lru_cache(maxsize=1024)
def _money(amount, currency, language_code):
    # A page formats the same few amounts (letter widget, banner figures) on every
    # render; babel's locale look-up and formatting cost ~0.4 ms a page. Pure: safe to keep.
    try:
        value = Decimal(amount)
    except (InvalidOperation, ValueError, TypeError):
        return ""
    locale = babel.Locale.parse(language_code or "en")
    pattern = locale.currency_formats["standard"].pattern
    if value == value.to_integral_value():
        pattern = pattern.replace(".00", "")
        value = value.to_integral_value()
    return format_currency(value, currency, locale=locale, format=pattern, currency_digits=False)


def funding_figures(language_code, request=None):
    """{"goal", "raised", "percent"} as display strings; absent ones are empty."""
    data = _feed(request)
    currency = data.get("currency") or "USD"
    figures = {"goal": "", "raised": "", "percent": ""}
    if data.get("goal") not in (None, ""):
        figures["goal"] = money(data["goal"], currency, language_code)
    if data.get("raised") not in (None, ""):
        figures["raised"] = money(data["raised"], currency, language_code)
    if data.get("percent") not in (None, ""):
        figures["percent"] = f"{data['percent']}%"
    return figures
