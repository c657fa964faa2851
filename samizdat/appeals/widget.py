"""The letter's contribution widget: amounts and methods from the support app."""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

FALLBACK_AMOUNTS = {"once": ["5", "10", "25"], "monthly": ["2", "5", "10"],
                    "annual": ["25", "50", "100"]}


def frequency_labels():
    return {"once": _("Once"), "monthly": _("Monthly"), "annual": _("Annual")}


def contribute_url():
    try:
        return reverse("support:contribute")
    except NoReverseMatch:
        return "/support/"


def widget_options(language_code):
    """What the letter's form offers; falls back to safe defaults until checkout exists."""
    try:
        from samizdat.support.checkout import contribution_options

        options = contribution_options(language_code)
    except Exception:  # noqa: BLE001 - an article must render even if checkout is broken
        options = None
    labels = frequency_labels()
    if not options:
        return {
            "currency": "USD",
            "default_frequency": "monthly",
            "frequencies": [
                {"id": key, "label": labels[key], "amounts": amounts, "default": amounts[1],
                 "minimum": "2"}
                for key, amounts in FALLBACK_AMOUNTS.items()
            ],
            "methods": [],
            "form_url": contribute_url(),
        }
    frequencies = []
    for key in ("once", "monthly", "annual"):
        spec = (options.get("frequencies") or {}).get(key)
        if not spec:
            continue
        frequencies.append({
            "id": key,
            "label": spec.get("label") or labels[key],
            "amounts": [str(a) for a in spec.get("amounts", [])],
            "default": str(spec.get("default") or ""),
            "minimum": str(spec.get("minimum") or ""),
        })
    return {
        "currency": options.get("currency", "USD"),
        "default_frequency": options.get("default_frequency", "monthly"),
        "frequencies": frequencies,
        "methods": [m.get("label", "") for m in options.get("methods", [])],
        "form_url": options.get("form_url") or contribute_url(),
    }
