"""Starting a contribution: the options a reader sees, validation, then the provider's checkout.

`contribution_options(language_code)` is the stable contract other apps
(appeals' banners and widgets) build on. `start_checkout` creates the pending
Contribution or Pledge and asks the provider for its checkout URL; it is
only reached with validated data, so bad input never stores a row or calls
a provider. The reader's address is kept encrypted on that row, not as a
Supporter: only a verified payment makes an address a supporter.

A provider that times out or fails leaves the pending row in place: the
payment-method form carries a signed *attempt* token naming the reference the
row gets, so the reader's retry of that form finds the same row, and the
provider is asked again under the same idempotency key (one checkout, however
often the start is retried). See docs/payments.md, "When the provider fails".
"""

import re
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from wagtail.models import Site

from .models import AmountOption, Contribution, ContributionSettings, Pledge
from .models.contributions import Frequency, new_reference
from .models.options import DEFAULT_AMOUNTS
from .money import SUPPORTED_CURRENCIES, major_string, parse_amount
from .providers.base import CheckoutUrls, get_provider

__all__ = [
    "FREQUENCY_ORDER",
    "AmountChoice",
    "amount_choice",
    "attempt_reference",
    "available_methods",
    "contribution_options",
    "contribution_settings",
    "new_attempt",
    "start_checkout",
]

# The order every widget, tab row and option list offers frequencies in.
FREQUENCY_ORDER = [Frequency.ONCE, Frequency.MONTHLY, Frequency.ANNUAL]


@dataclass(frozen=True)
class AmountChoice:
    """Presets, default and bounds for one currency and frequency, in minor units."""

    currency: str
    frequency: str
    presets: tuple
    default: int
    minimum: int
    maximum: int

    def as_strings(self):
        return {
            "amounts": [major_string(p, self.currency) for p in self.presets],
            "default": major_string(self.default, self.currency),
            "minimum": major_string(self.minimum, self.currency),
            "maximum": major_string(self.maximum, self.currency),
        }


def contribution_settings(site=None):
    """The staff-edited settings for a site (the default site if none given)."""
    site = site or Site.objects.filter(is_default_site=True).first() or Site.objects.first()
    if site is None:
        return ContributionSettings()
    return ContributionSettings.for_site(site)


def amount_choice(options, currency, frequency):
    row = None
    if options.pk:
        row = AmountOption.objects.filter(
            setting=options, currency=currency, frequency=frequency
        ).first()
    if row is not None:
        presets = tuple(parse_amount(item, currency) for item in row.preset_list())
        values = (row.default_amount, row.minimum, row.maximum)
    else:
        preset_strings, *values = DEFAULT_AMOUNTS[Frequency(frequency)]
        presets = tuple(parse_amount(item, currency) for item in preset_strings)
    default, minimum, maximum = (parse_amount(value, currency) for value in values)
    return AmountChoice(currency, frequency, presets, default, minimum, maximum)


def available_methods(options, frequency=None):
    """Providers the reader may choose: configured, enabled by staff, able to do `frequency`,
    and able to complete with what the newsroom has published (bank details)."""
    from django.conf import settings

    configured = list(settings.SAMIZDAT_PAYMENT_PROVIDERS)
    chosen = [alias for alias in options.method_aliases() if alias in configured] or configured
    methods = []
    for alias in chosen:
        provider = get_provider(alias)
        if not provider.is_configured():
            continue
        if frequency and not provider.supports(frequency):
            continue
        if not provider.can_complete(options):
            continue
        methods.append(provider)
    return methods


def contribution_options(language_code, site=None):
    """Everything a widget needs to offer a contribution, as plain JSON-ready data.

    Amounts are strings in major units. Stable contract; extend, never rename.
    """
    options = contribution_settings(site)
    currency = options.currency_for_language(language_code)
    with translation.override(language_code):
        by_currency = {}
        for code in SUPPORTED_CURRENCIES:
            table = {}
            for frequency in FREQUENCY_ORDER:
                entry = {"label": str(Frequency(frequency).label)}
                entry.update(amount_choice(options, code, frequency).as_strings())
                table[str(frequency)] = entry
            by_currency[code] = table
        frequencies = {key: by_currency[currency][key] for key in
                       [str(Frequency.MONTHLY), str(Frequency.ONCE), str(Frequency.ANNUAL)]}
        methods = [{"id": p.identifier, "label": str(p.public_name)}
                   for p in available_methods(options)]
        form_url = reverse("support:contribute")
    return {
        "currency": currency,
        "currencies": list(SUPPORTED_CURRENCIES),
        "default_frequency": str(options.default_frequency),
        "frequencies": frequencies,
        "by_currency": by_currency,
        "methods": methods,
        "form_url": form_url,
    }


ATTEMPT_SALT = "samizdat.support.checkout-attempt"
# Stripe keeps an idempotency key's result for 24 hours; a retry later starts afresh.
ATTEMPT_MAX_AGE = 24 * 3600
_REFERENCE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")


def new_attempt():
    """A token for one payment-method form: the signed reference its contribution will get."""
    return signing.dumps(new_reference(), salt=ATTEMPT_SALT)


def attempt_reference(token):
    """The reference an attempt token names, or "" if it is forged, expired or malformed."""
    if not token or not isinstance(token, str) or len(token) > 200:
        return ""
    try:
        reference = signing.loads(token, salt=ATTEMPT_SALT, max_age=ATTEMPT_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError, UnicodeError):
        return ""
    return reference if isinstance(reference, str) and _REFERENCE.match(reference) else ""


def _same_choice(subject, fields):
    """A pending row of an earlier try of this very form, with the same choices."""
    email = subject.email
    return (subject.status == "pending" and subject.provider == fields["provider"]
            and subject.frequency == fields["frequency"]
            and subject.amount_minor == fields["amount_minor"]
            and subject.currency == fields["currency"] and subject.language == fields["language"]
            and email.lower() == fields["email"].lower())


def _pending_subject(data, provider, language):
    """The pending gift or plan for this start: the earlier try's, or a new one."""
    fields = {"provider": provider.identifier, "frequency": data["frequency"],
              "amount_minor": data["amount_minor"], "currency": data["currency"],
              "language": language, "email": data.get("email", "")}
    reference = attempt_reference(data.get("attempt"))
    for _try in range(2):
        if reference:
            earlier = find_subject(reference)
            if earlier is not None:
                if _same_choice(earlier, fields):
                    return earlier
                reference = ""  # the token was used for another choice: a new row
        common = {
            "provider": provider.identifier,
            "amount_minor": data["amount_minor"],
            "currency": data["currency"],
            "appeal": data.get("appeal", ""),
            "variant": data.get("variant", ""),
            "language": language,
            "discreet_emails": data.get("discreet_choice"),
        }
        if reference:
            common["reference"] = reference
        try:
            with transaction.atomic():
                # No Supporter yet: the address waits, encrypted, on the row until a
                # verified payment (webhooks.link_supporter); typing it earns it nothing.
                common["checkout_email"] = fields["email"]
                if data["frequency"] == Frequency.ONCE:
                    return Contribution.objects.create(**common)
                return Pledge.objects.create(frequency=data["frequency"], **common)
        except IntegrityError:
            if not reference:
                raise
            # A double submission of the form created the row a moment ago: use it.
    raise IntegrityError(f"could not create a contribution for attempt {reference}")


def start_checkout(data, provider, language, absolute_url):
    """Create (or find again) the pending gift or plan, then get the provider's checkout URL.

    `data` is a validated form's cleaned_data; `absolute_url(path)` builds the
    return URLs. If the provider fails, ProviderError propagates and the row
    stays pending, so that a retry of the same form (same attempt token) reuses
    it and the provider's idempotency key: never a second checkout for one try.
    """
    subject = _pending_subject(data, provider, language)
    with translation.override(language):
        urls = CheckoutUrls(
            success=absolute_url(reverse("support:thanks", args=[subject.reference])),
            cancel=absolute_url(reverse("support:cancel", args=[subject.reference])),
        )
    redirect_url = provider.begin_checkout(subject, urls)
    type(subject).objects.filter(pk=subject.pk).update(checkout_ref=subject.checkout_ref)
    return subject, redirect_url


def find_subject(reference):
    """The Contribution or Pledge with this reader-facing reference, or None."""
    return (Contribution.objects.filter(reference=reference).first()
            or Pledge.objects.filter(reference=reference).first())
