"""Template tags that put the page's appeals into its HTML."""

import copy
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
def inline_positions(context):
    """The paragraphs after which an inline appeal may go (an article's body includes
    appeals/partials/inline.html only there)."""
    appeals = page_appeals(context)
    return frozenset(appeals.inline) if appeals is not None else frozenset()


@register.simple_tag(takes_context=True)
def letter_widget(context):
    """The widget's options with display strings for the amounts; with a request, built
    once per process and language (as widget_options, under the loader's tokens)."""
    language = (get_language() or "en").split("-")[0]
    request = context.get("request")
    if request is None:
        return _letter_widget(language, None)
    from samizdat.news.loader import cached

    return cached(request, ("letter-widget-display", language),
                  lambda: _letter_widget(language, request))


def _letter_widget(language, request):
    options = copy.deepcopy(widget_options(language, request))
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
    return options


@register.simple_tag(takes_context=True)
def goal_progress(context):
    """The support app's goal bar, or nothing if it is not there (yet)."""
    from .. import funding

    data = funding._feed(context.get("request"))
    if not data:
        return ""
    bar = max(0, min(int(data.get("percent") or 0), 100))
    request = context.get("request")

    def build():
        try:
            progress = get_template("support/goal/progress.html")
        except TemplateDoesNotExist:
            return ""
        return progress.render({"funding": data, "bar_value": bar}, request)

    try:
        key = (get_language(), bar, tuple(sorted(data.items())))
        hash(key)
    except TypeError:  # figures that are not plain values: rendered every time
        return build()
    from samizdat.news.loader import memo

    # The bar shows the figures alone (no reader, no request data): one markup per
    # figures and language, kept per process.
    return memo(request, "goal-progress", key, build, limit=50)
