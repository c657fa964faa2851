"""Money as an integer count of minor units plus an ISO 4217 code.

Readers type amounts in major units ("5", "12.50", "12,50"); everything
stored or sent to a provider is minor units. Babel knows each currency's
number of decimal places and how to format it for a language.
"""

from decimal import Decimal, InvalidOperation

from babel.core import UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_precision,
    list_currencies,
    parse_decimal,
)
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

__all__ = [
    "SUPPORTED_CURRENCIES",
    "AmountError",
    "decimal_places",
    "format_money",
    "is_known_currency",
    "major_string",
    "major_to_minor",
    "minor_to_major",
    "parse_amount",
]

# Currencies a reader can choose by default; staff add amounts for others.
SUPPORTED_CURRENCIES = ("USD", "EUR", "GBP")

_KNOWN = frozenset(list_currencies())


class AmountError(ValueError):
    """A reader's amount that cannot become money; `message` is for the reader."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def is_known_currency(code):
    return isinstance(code, str) and code.upper() == code and code in _KNOWN


def decimal_places(currency):
    if not is_known_currency(currency):
        raise AmountError(_("Unknown currency."))
    return get_currency_precision(currency)


def major_to_minor(value, currency):
    """An exact Decimal (or int/str) in major units → integer minor units."""
    places = decimal_places(currency)
    scaled = Decimal(value).scaleb(places)
    if scaled != scaled.to_integral_value():
        raise AmountError(_("Too many decimal places for this currency."))
    return int(scaled)


def minor_to_major(amount_minor, currency):
    """Minor units → Decimal in major units (exact)."""
    return Decimal(int(amount_minor)).scaleb(-decimal_places(currency))


_SPACES = str.maketrans("", "", " \u00a0\u202f")
_PLAIN = frozenset("0123456789,.+")


def _delocalise(cleaned, locale):
    """Read `cleaned` as a number written for `locale` ("1,000.50" in English,
    "1 000,50" in Russian) and return it in plain form ("1000.50").

    Anything Babel cannot read unambiguously is returned unchanged, for the
    plain parser to accept (a lone decimal comma, "12,50") or refuse clearly.
    """
    if not set(cleaned) <= _PLAIN:
        return cleaned
    try:
        value = parse_decimal(cleaned, locale=str(locale).replace("-", "_"), strict=True)
    except (NumberFormatError, UnknownLocaleError, ValueError):
        return cleaned
    if not value.is_finite() or value.as_tuple().exponent > 0:
        return cleaned
    return format(value, "f")


def parse_amount(text, currency, locale=None):
    """A reader's amount string → minor units, or AmountError with a clear message.

    Without `locale` (amounts staff configure, links we build) it accepts
    "5", "5.5", "5.50" and a decimal comma ("5,50"). With the page's `locale`
    it also reads that language's grouping: "1,000" is a thousand on the
    English page, "1 000" on the Russian one. It refuses letters, exponents,
    negatives, zero and amounts finer than the currency's smallest unit.
    """
    if text is None:
        raise AmountError(_("Enter an amount."))
    cleaned = str(text).strip().translate(_SPACES)
    if not cleaned:
        raise AmountError(_("Enter an amount."))
    if cleaned.startswith("-"):
        raise AmountError(_("The amount cannot be negative."))
    if locale:
        cleaned = _delocalise(cleaned, locale)
    if cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if cleaned.startswith("-"):
        raise AmountError(_("The amount cannot be negative."))
    if cleaned.startswith("+"):
        cleaned = cleaned[1:]
    whole, dot, fraction = cleaned.partition(".")
    digits_ok = (whole + fraction).isascii() and (whole + fraction).isdigit()
    if not digits_ok or (whole and not whole.isdigit()) or (dot and not fraction.isdigit()):
        raise AmountError(_("Enter the amount as a number, for example 5 or 12.50."))
    if len(whole) > 12:
        raise AmountError(_("That amount is too large."))
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise AmountError(_("Enter the amount as a number, for example 5 or 12.50.")) from exc
    if len(fraction) > decimal_places(currency):
        if decimal_places(currency) == 0:
            raise AmountError(_("This currency has no decimal places; enter a whole number."))
        raise AmountError(_("Too many decimal places for this currency."))
    minor = major_to_minor(value, currency)
    if minor <= 0:
        raise AmountError(_("The amount must be more than zero."))
    return minor


def format_money(amount_minor, currency, language=None):
    """Human form for a page or e-mail, in the reader's language ("$5.00", "5,00 €")."""
    locale = (language or get_language() or "en").replace("-", "_")
    try:
        return format_currency(minor_to_major(amount_minor, currency), currency, locale=locale)
    except (UnknownLocaleError, ValueError):
        return format_currency(minor_to_major(amount_minor, currency), currency, locale="en")


def major_string(amount_minor, currency):
    """Minor units → a plain major-unit string without trailing zeros ("5", "12.5")."""
    value = minor_to_major(amount_minor, currency)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value, "f")
