"""The month's goal figures for placeholders, read from the public funding feed.

The "services" work owns /funding.json and decides what may be shown (exact,
rounded or only a percentage); appeals show exactly what it publishes, so a
newsroom that hides its figures never leaks them through a banner.
"""

import json
import logging
from decimal import Decimal, InvalidOperation

import babel
from babel.numbers import format_currency
from django.core.cache import cache
from django.http import HttpRequest
from django.urls import Resolver404, resolve

log = logging.getLogger(__name__)
CACHE_KEY = "appeals:funding"
CACHE_SECONDS = 60


def _feed():
    """The parsed funding feed, asked of its own view in-process (no HTTP)."""
    data = cache.get(CACHE_KEY)
    if data is not None:
        return data
    data = {}
    try:
        from samizdat.support.goal_views import funding_data

        data = funding_data() or {}
        cache.set(CACHE_KEY, data, CACHE_SECONDS)
        return data
    except ImportError:
        pass
    except Exception:  # noqa: BLE001 - a broken feed must never break an article page
        log.exception("appeals: could not compute the funding figures")
        cache.set(CACHE_KEY, {}, CACHE_SECONDS)
        return {}
    try:
        match = resolve("/funding.json")
        request = HttpRequest()
        request.method = "GET"
        request.path = request.path_info = "/funding.json"
        request.META = {"SERVER_NAME": "localhost", "SERVER_PORT": "80", "HTTP_HOST": "localhost"}
        response = match.func(request, *match.args, **match.kwargs)
        if getattr(response, "status_code", 500) == 200:
            data = json.loads(response.content)
    except Resolver404:
        data = {}
    except Exception:  # noqa: BLE001 - a broken feed must never break an article page
        log.exception("appeals: could not read the funding feed")
        data = {}
    cache.set(CACHE_KEY, data, CACHE_SECONDS)
    return data


def money(amount, currency, language_code):
    """A whole amount like "$10,000" or "10 000 $" in the reader's language."""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError, TypeError):
        return ""
    locale = babel.Locale.parse(language_code or "en")
    pattern = locale.currency_formats["standard"].pattern
    if value == value.to_integral_value():
        pattern = pattern.replace(".00", "")
        value = value.to_integral_value()
    return format_currency(value, currency, locale=locale, format=pattern, currency_digits=False)


def funding_figures(language_code):
    """{"goal", "raised", "percent"} as display strings; absent ones are empty."""
    data = _feed()
    currency = data.get("currency") or "USD"
    figures = {"goal": "", "raised": "", "percent": ""}
    if data.get("goal") not in (None, ""):
        figures["goal"] = money(data["goal"], currency, language_code)
    if data.get("raised") not in (None, ""):
        figures["raised"] = money(data["raised"], currency, language_code)
    if data.get("percent") not in (None, ""):
        figures["percent"] = f"{data['percent']}%"
    return figures
