"""An end-of-article letter outside a page: its copy and amounts for a newsletter issue.

The same copy as the letter under an article (variant_copies: cleaned by nh3,
placeholders filled from the same figures) and the same amounts (widget_options,
money), but as plain links to the contribution page: no appeal id, no variant key,
nothing that tells who clicked. An e-mail has no browser to pick a variant, so the
first one with copy in the language and a weight is used.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.utils import timezone

from .funding import funding_figures, money
from .models import AppealSettings
from .selection import month_name, variant_copies
from .widget import widget_options


@dataclass
class LetterCopy:
    outlet: str
    heading: str
    text: str  # safe HTML
    button: str
    url: str
    frequency: str = ""
    amounts: list = field(default_factory=list)  # [{"label", "url"}]


def outlet_name():
    """The outlet's name from the default site's settings (no request in an e-mail)."""
    from wagtail.models import Site

    from samizdat.news.models import OutletSettings

    site = Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:
        return OutletSettings._meta.get_field("name").default
    return OutletSettings.for_site(site).name


def letter_copy(appeal, language, origin):
    """The appeal's copy in `language` with links under `origin`, or None when it must
    not show: the kill switch is off, the appeal is not live or for another language,
    or it has no copy in this language. Call it inside translation.override(language):
    the contribution page's path is language-prefixed."""
    if appeal is None or not appeal.live or not AppealSettings.load().appeals_enabled:
        return None
    if appeal.language and appeal.language != language:
        return None
    outlet = outlet_name()
    values = {
        "outlet": outlet,
        "month": month_name(timezone.now(), language),
        **funding_figures(language),
    }
    copies = [c for c in variant_copies(appeal, language, values) if c.weight]
    if not copies:
        return None
    chosen = copies[0]
    options = widget_options(language)
    form = origin.rstrip("/") + options["form_url"]
    frequency = next(
        (f for f in options["frequencies"] if f["id"] == options["default_frequency"]),
        options["frequencies"][0] if options["frequencies"] else None,
    )
    letter = LetterCopy(
        outlet=outlet, heading=chosen.heading, text=chosen.text, button=chosen.button, url=form
    )
    if frequency is not None:
        letter.url = f"{form}?{urlencode({'frequency': frequency['id']})}"
        letter.frequency = frequency["label"]
        letter.amounts = [
            {
                "label": money(amount, options["currency"], language),
                "url": f"{form}?"
                + urlencode(
                    {
                        "frequency": frequency["id"],
                        "amount": amount,
                        "currency": options["currency"],
                    }
                ),
            }
            for amount in frequency["amounts"]
        ]
    return letter
