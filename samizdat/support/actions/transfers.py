"""Staff confirm that a bank transfer arrived."""

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..providers.base import get_provider
from ..webhooks import apply_event, record_event
from . import ActionError

__all__ = ["mark_transfer_received"]

logger = logging.getLogger(__name__)


def mark_transfer_received(contribution, amount_minor=None, received_at=None, staff_user=None):
    """Record the transfer as the provider's event and apply it: the ledger is written by
    the same code as for every provider, under the gift's row lock. Idempotent per gift
    (the event id is the gift's), so marking it twice changes nothing.

    Returns the ProviderEvent. Raises ActionError for a gift that is not paid by bank
    transfer or an amount that is not positive.
    """
    try:
        provider = get_provider(contribution.provider)
    except KeyError as exc:
        raise ActionError(_("This contribution's payment method is not configured.")) from exc
    if not provider.manual:
        raise ActionError(_("This contribution is not paid by bank transfer."))
    amount_minor = int(amount_minor or contribution.amount_minor)
    if amount_minor <= 0:
        raise ActionError(_("The amount must be positive."))
    parsed = provider.received_event(contribution, amount_minor,
                                     received_at or timezone.now(), staff_user)
    with transaction.atomic():
        record, _created = record_event(contribution.provider, parsed)
    if record.applied_at is None:
        apply_event(record)
        record.refresh_from_db()
        logger.info("bank transfer for %s marked received by staff user %s",
                    contribution.reference, getattr(staff_user, "pk", None))
    return record
