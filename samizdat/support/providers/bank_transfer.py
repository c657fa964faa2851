"""Bank transfer: the reader sees the account details and a unique reference.

Money arrives outside any webhook. When staff see the transfer on the bank
statement they mark it received (`mark_received`), which records a provider
event and writes the ledger through the same code as every other provider.
"""

import uuid
from datetime import UTC, datetime

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from .base import Fact, InvalidEvent, ParsedEvent, PaymentProvider, minor_units

__all__ = ["BankTransferProvider", "mark_received"]


class BankTransferProvider(PaymentProvider):
    public_name = _("Bank transfer")
    manual = True
    delayed = True  # a reader may pay the transfer weeks later

    def begin_checkout(self, subject, urls):
        with translation.override(subject.language or "en"):
            return reverse("support:bank_transfer", args=[subject.reference])

    def verify_event(self, request):
        raise InvalidEvent("bank transfers are confirmed by staff, not by webhook")

    def handles(self, event_type):
        return event_type == "transfer.received"

    def facts(self, event_type, payload):
        if event_type != "transfer.received":
            return []
        data = payload.get("data") or {}
        return [Fact("payment", reference=data.get("reference", ""),
                     provider_ref=data.get("transfer_id", ""),
                     amount_minor=minor_units(data.get("amount_minor")),
                     currency=data.get("currency", ""))]


def mark_received(contribution, amount_minor=None, received_at=None, staff_user=None):
    """Staff saw the transfer arrive: record it as an event and apply it. Idempotent per gift.

    Returns the ProviderEvent. Marking the same contribution twice changes nothing.
    """
    from ..webhooks import apply_event, record_event

    amount_minor = int(amount_minor or contribution.amount_minor)
    if amount_minor <= 0:
        raise ValueError("amount must be positive")
    received_at = received_at or timezone.now()
    payload = {
        "id": f"transfer-{contribution.reference}",
        "type": "transfer.received",
        "created": int(received_at.timestamp()),
        "data": {
            "reference": contribution.reference,
            "transfer_id": f"transfer-{contribution.reference}",
            "amount_minor": amount_minor,
            "currency": contribution.currency,
            "marked_by": getattr(staff_user, "pk", None),
            "marked_at": datetime.now(UTC).isoformat(),
            "nonce": uuid.uuid4().hex,
        },
    }
    parsed = ParsedEvent(id=payload["id"], type=payload["type"], payload=payload,
                         occurred_at=received_at)
    with transaction.atomic():
        record, _created = record_event(contribution.provider, parsed)
    if record.applied_at is None:
        apply_event(record)
        record.refresh_from_db()
    return record
