"""The letter's contribution widget: amounts, labels and methods from the support app.

The amounts are the newsroom's own (support's contribution settings); a failure
to read them is an error, not a reason to show made-up amounts.
"""

from django.urls import reverse

from samizdat.support.api import FREQUENCY_ORDER, contribution_options


def contribute_url():
    return reverse("support:contribute")


def widget_options(language_code, request=None):
    """What the letter's form offers, in support's frequency order.

    Read once per process and language (see news/loader.py) when a request is given.
    """
    if request is None:
        return _build(language_code)
    from samizdat.news.loader import cached

    return cached(request, ("letter-widget", language_code), lambda: _build(language_code))


def _build(language_code):
    options = contribution_options(language_code)
    frequencies = []
    for frequency in FREQUENCY_ORDER:
        key = str(frequency)
        spec = options["frequencies"].get(key)
        if not spec:
            continue
        frequencies.append({
            "id": key,
            "label": spec.get("label") or str(frequency.label),
            "amounts": [str(a) for a in spec.get("amounts", [])],
            "default": str(spec.get("default") or ""),
            "minimum": str(spec.get("minimum") or ""),
        })
    return {
        "currency": options["currency"],
        "default_frequency": options["default_frequency"],
        "frequencies": frequencies,
        "methods": [m.get("label", "") for m in options.get("methods", [])],
        "form_url": options["form_url"],
    }
