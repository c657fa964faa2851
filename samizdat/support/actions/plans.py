"""A supporter (or erasure on their behalf) changes a recurring plan.

Each action asks the provider for the change; the provider's own verified event
then moves our state, exactly as for a change made on the provider's side, and
the ledger sends the signals (support/events.py). No row lock is held here: the
provider is called over the network, and the event that follows is applied under
the pledge's lock by support/webhooks.py.
"""

import logging

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..money import AmountError, format_money, parse_amount
from ..providers.base import ProviderError, get_provider
from . import ActionError

__all__ = [
    "OPEN_PLEDGE_STATUSES",
    "RECURRING",
    "amount_limits",
    "cancel_plan",
    "capabilities",
    "change_plan",
    "pause_plan",
    "resume_plan",
    "validate_change",
]

logger = logging.getLogger(__name__)

RECURRING = ("monthly", "annual")
OPEN_PLEDGE_STATUSES = ("active", "past_due", "paused")


def capabilities(pledge):
    """What may be asked of this plan now, as its provider allows: {name: bool}."""
    try:
        provider = get_provider(pledge.provider)
    except KeyError:
        provider = None
    is_open = pledge.status in OPEN_PLEDGE_STATUSES
    return {
        "can_change": bool(provider and provider.supports_change and is_open),
        "can_pause": bool(provider and provider.supports_pause and pledge.status == "active"),
        "can_resume": bool(provider and provider.supports_pause and pledge.status == "paused"),
        "can_cancel": bool(provider and provider.supports_cancel and is_open),
    }


def amount_limits(currency, frequency):
    """(minimum, maximum) in minor units, from the admin's options or the defaults."""
    from wagtail.models import Site

    from ..models import DEFAULT_AMOUNTS, AmountOption

    site = Site.objects.filter(is_default_site=True).first()
    option = None
    if site is not None:
        option = AmountOption.objects.filter(
            setting__site=site, currency=currency, frequency=frequency
        ).first()
    if option is not None:
        minimum, maximum = option.minimum, option.maximum
    else:
        _presets, _default, minimum, maximum = DEFAULT_AMOUNTS[frequency]
    return parse_amount(minimum, currency), parse_amount(maximum, currency)


def validate_change(pledge, amount_text, frequency):
    """(amount_minor, frequency) to ask the provider for, or ActionError."""
    if frequency not in RECURRING:
        raise ActionError(_("Choose monthly or annual."))
    try:
        amount = parse_amount(amount_text, pledge.currency, locale=get_language())
    except AmountError as exc:
        raise ActionError(exc.message) from exc
    minimum, maximum = amount_limits(pledge.currency, frequency)
    if amount < minimum:
        raise ActionError(
            _("The minimum is %(amount)s.") % {"amount": format_money(minimum, pledge.currency)}
        )
    if amount > maximum:
        raise ActionError(
            _("The maximum is %(amount)s.") % {"amount": format_money(maximum, pledge.currency)}
        )
    if amount == pledge.amount_minor and frequency == pledge.frequency:
        raise ActionError(_("That is your current plan: nothing to change."))
    return amount, frequency


def _ask_provider(pledge, capability, what, call):
    if not capabilities(pledge)[capability]:
        raise ActionError(_("This change is not possible for this plan."))
    try:
        call(get_provider(pledge.provider))
    except ProviderError as exc:
        raise ActionError(exc.message) from exc
    logger.info("pledge %s: %s asked of provider %s", pledge.reference, what, pledge.provider)


def change_plan(pledge, amount_text, frequency):
    amount, frequency = validate_change(pledge, amount_text, frequency)
    _ask_provider(
        pledge, "can_change", "a change",
        lambda provider: provider.change_recurring(
            pledge,
            amount_minor=amount if amount != pledge.amount_minor else None,
            frequency=frequency if frequency != pledge.frequency else None,
        ),
    )


def pause_plan(pledge):
    _ask_provider(pledge, "can_pause", "a pause",
                  lambda provider: provider.pause_recurring(pledge))


def resume_plan(pledge):
    _ask_provider(pledge, "can_resume", "a resumption",
                  lambda provider: provider.pause_recurring(pledge, resume=True))


def cancel_plan(pledge, reason=""):
    """Ask the provider to cancel; keep the supporter's reason (optional) for staff."""
    from ..models import Pledge

    reason = " ".join((reason or "").split())[:500]
    _ask_provider(pledge, "can_cancel", "a cancellation",
                  lambda provider: provider.cancel_recurring(pledge, reason=reason))
    if reason:
        Pledge.objects.filter(pk=pledge.pk).update(cancel_reason=reason)
