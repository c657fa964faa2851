"""Template tags that put the page's appeals into its HTML."""

import copy
import json
import logging

from babel.lists import format_list
from django import template
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.translation import get_language

from ..funding import money
from ..selection import appeals_for_page
from ..widget import widget_options

register = template.Library()
log = logging.getLogger(__name__)


@register.simple_tag(takes_context=True)
def page_appeals(context):
    """The page's candidates (computed once per request)."""
    request = context.get("request")
    if request is None or getattr(request, "_samizdat_appeals_failed", False):
        return None
    try:
        return appeals_for_page(request, context.get("page"))
    except Exception:  # noqa: BLE001 - an appeal must never break a page (or the error page)
        log.exception("appeals: could not choose this page's appeals")
        request._samizdat_appeals_failed = True
        return None


@register.simple_tag(takes_context=True)
def appeals_config(context):
    appeals = page_appeals(context)
    if appeals is None:
        return {"appeals": [], "counter": None}
    return appeals.config(reverse("appeals_event"))


@register.simple_tag(takes_context=True)
def inline_appeals(context, position):
    appeals = page_appeals(context)
    if appeals is None:
        return []
    return appeals.inline.get(position, [])


@register.simple_tag(takes_context=True)
def letter_widget(context):
    """The widget's options with display strings for the amounts."""
    language = (get_language() or "en").split("-")[0]
    options = copy.deepcopy(widget_options(language, context.get("request")))
    currency = options["currency"]
    for frequency in options["frequencies"]:
        frequency["choices"] = [
            {"value": amount, "label": money(amount, currency, language)}
            for amount in frequency["amounts"]
        ]
    default = next(
        (f for f in options["frequencies"] if f["id"] == options["default_frequency"]),
        options["frequencies"][0] if options["frequencies"] else None,
    )
    options["default"] = default
    options["methods_text"] = (
        format_list([m for m in options["methods"] if m], style="or", locale=language)
        if any(options["methods"]) else ""
    )
    options["data"] = {
        f["id"]: {"choices": f["choices"], "default": f["default"], "minimum": f["minimum"]}
        for f in options["frequencies"]
    }
    return options


@register.filter
def json_encode(value):
    """For data-* attributes: the template escapes the quotes."""
    return json.dumps(value, separators=(",", ":"))


@register.simple_tag(takes_context=True)
def goal_progress(context):
    """The support app's goal bar, or nothing if it is not there (yet)."""
    from .. import funding

    data = funding._feed()
    if not data:
        return ""
    try:
        progress = get_template("support/goal/progress.html")
    except TemplateDoesNotExist:
        return ""
    bar = max(0, min(int(data.get("percent") or 0), 100))
    return progress.render({"funding": data, "bar_value": bar}, context.get("request"))
