"""Bank transfer: the reader sees the account details and a unique reference.

Money arrives outside any webhook. When staff see the transfer on the bank
statement they mark it received (support/actions/transfers.py), which records
the event this provider describes (`received_event`) and writes the ledger
through the same code as every other provider.
"""

import uuid
from datetime import UTC, datetime

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .base import Fact, InvalidEvent, ParsedEvent, PaymentProvider, minor_units

__all__ = ["BankTransferProvider"]


class BankTransferProvider(PaymentProvider):
    public_name = _("Bank transfer")
    manual = True
    delayed = True  # a reader may pay the transfer weeks later

    def can_complete(self, options):
        # Without an account to pay into, the reader would reach a dead end.
        return bool((options.bank_iban or "").strip())

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

    def received_event(self, contribution, amount_minor, received_at, staff_user=None):
        """The event staff confirming the transfer stands for: its id is the gift's, so a
        second confirmation is a duplicate of the first."""
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
        return ParsedEvent(id=payload["id"], type=payload["type"], payload=payload,
                           occurred_at=received_at)
