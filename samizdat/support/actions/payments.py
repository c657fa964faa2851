"""A supporter fixes a failed renewal: a new card on the provider's page, then the payment
again. Neither moves money here: the provider's own event does (support/webhooks.py)."""

import logging

from django.utils.translation import gettext_lazy as _

from ..providers.base import ProviderError, get_provider
from . import ActionError

__all__ = ["can_retry", "can_update_card", "retry_payment", "update_card_url"]

logger = logging.getLogger(__name__)

OPEN = ("active", "past_due", "paused")


def _provider(pledge):
    try:
        return get_provider(pledge.provider)
    except KeyError:
        return None


def can_update_card(pledge):
    """The plan is open and its provider has a page for a new card."""
    provider = _provider(pledge)
    return (
        pledge.status in OPEN
        and bool(pledge.subscription_ref)
        and hasattr(provider, "payment_update_url")
    )


def can_retry(pledge):
    """The last renewal failed and the provider can be asked to collect it again."""
    provider = _provider(pledge)
    return pledge.status == "past_due" and hasattr(provider, "retry_failed_payment")


def update_card_url(pledge, return_url):
    """The provider's page where the supporter types a new card; back to `return_url`."""
    if not can_update_card(pledge):
        raise ActionError(_("This plan's card cannot be changed here."))
    try:
        url = get_provider(pledge.provider).payment_update_url(pledge, return_url)
    except ProviderError as exc:
        raise ActionError(exc.message) from exc
    logger.info("pledge %s: a card update asked of provider %s", pledge.reference, pledge.provider)
    return url


def retry_payment(pledge):
    """Ask the provider to collect the failed renewal now. True if it was taken (its event
    follows), False if the provider had nothing left to collect."""
    if not can_retry(pledge):
        raise ActionError(_("There is no failed payment to try again."))
    try:
        taken = get_provider(pledge.provider).retry_failed_payment(pledge)
    except ProviderError as exc:
        raise ActionError(exc.message) from exc
    logger.info(
        "pledge %s: a retry asked of provider %s (%s)",
        pledge.reference,
        pledge.provider,
        "taken" if taken else "nothing to collect",
    )
    return taken
