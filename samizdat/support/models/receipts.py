"""Which receipts went out: the marker that makes sending a receipt idempotent."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ReceiptDelivery"]


class ReceiptDelivery(models.Model):
    """One row per ledger payment whose receipt a worker took on (support/tasks.py).

    `claimed_at` is set in a transaction before the message is handed to the mail
    server, `sent_at` once the server accepted it. A second task for the same payment
    sees either and does nothing; a claim a dead worker left behind is taken over by
    `manage.py send_pending_receipts` after a lease (at-least-once, docs/payments.md).
    """

    entry = models.OneToOneField(
        "support.LedgerEntry", on_delete=models.PROTECT, related_name="receipt_delivery",
        verbose_name=_("ledger payment"),
    )
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        verbose_name = _("receipt delivery")
        verbose_name_plural = _("receipt deliveries")

    def __str__(self):
        return f"receipt for entry {self.entry_id}: {'sent' if self.sent_at else 'not sent'}"
