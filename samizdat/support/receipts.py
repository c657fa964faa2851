"""Receipts: what a payment's receipt says, and the signed link to view it online.

A receipt is derived from a ledger payment entry, never stored: the ledger
is the record. The online link is signed (not stored) and expires, so a
discreet e-mail can carry nothing but that link. Whether its e-mail went out
is kept per payment (ReceiptDelivery): `claim` before sending, and
`pending_entries` for the ones a dead worker or a refusing mail server left.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from .emails import absolute_url, supporter_language
from .money import format_money

RECEIPT_SALT = "samizdat.support.receipt"

logger = logging.getLogger(__name__)


def receipt_link_days():
    return int(getattr(settings, "SUPPORT_RECEIPT_LINK_DAYS", 30))


def receipt_token(entry):
    return signing.dumps(entry.pk, salt=RECEIPT_SALT, compress=True)


def entry_from_token(token):
    """The ledger payment a receipt link points to, or None if forged, expired, or its
    supporter's data was deleted since (erasure ends every e-mailed link)."""
    from .models import LedgerEntry

    try:
        entry_id = signing.loads(token, salt=RECEIPT_SALT, max_age=receipt_link_days() * 86400)
    except signing.BadSignature:
        return None
    entry = (
        LedgerEntry.objects.filter(pk=entry_id, kind=LedgerEntry.Kind.PAYMENT)
        .select_related("contribution__supporter", "pledge__supporter")
        .first()
    )
    supporter = entry.subject.supporter if entry is not None else None
    if supporter is not None and (supporter.forgotten_at or not supporter.email_index):
        return None
    return entry


def receipt_url(entry, language):
    with translation.override(language):
        return absolute_url(reverse("support:receipt", args=[receipt_token(entry)]))


def kind_label(subject, frequency=None):
    """What a payment was for; `frequency` is the one the ledger entry kept."""
    frequency = frequency or getattr(subject, "frequency", "once")
    return {
        "monthly": _("Monthly contribution"),
        "annual": _("Annual contribution"),
    }.get(str(frequency), _("One-off gift"))


def receipt_context(entry, language=None):
    """Everything a receipt shows, as plain values in `language`."""
    subject = entry.subject
    language = language or supporter_language(subject)
    with translation.override(language):
        return {
            "number": f"{subject.reference}-{entry.pk}",
            "date": formats.date_format(entry.occurred_at, "DATE_FORMAT"),
            "amount": format_money(entry.amount_minor, entry.currency, language),
            "kind": kind_label(subject, entry.frequency),
            "reference": subject.reference,
            "email": subject.email,
            "url": receipt_url(entry, language),
        }


def recipient(entry):
    """The address a payment's receipt goes to; "" when there is none, or when no donor
    key can read it (then no receipt is sent, and the log says why)."""
    from .crypto import UNREADABLE_HELP, UnreadableEmail

    email = entry.subject.email if entry.subject else ""
    if isinstance(email, UnreadableEmail):
        logger.warning("Receipt for ledger payment %s not sent: the donor's address cannot "
                       "be read: %s", entry.pk, UNREADABLE_HELP)
    return email


def lease_seconds():
    """How long a claim protects a receipt being sent; far above EMAIL_TIMEOUT."""
    return int(getattr(settings, "SAMIZDAT_RECEIPT_LEASE_SECONDS", 600))


def message_id(entry):
    """The same Message-ID local part every time this receipt is sent (opaque: no outlet)."""
    return "receipt-" + salted_hmac("samizdat.support.receipt-message-id",
                                    str(entry.pk)).hexdigest()[:32]


def claim(entry, now=None):
    """Take on sending this payment's receipt: its ReceiptDelivery, or None if the receipt
    was sent already or another worker's claim is younger than the lease."""
    from .models import ReceiptDelivery

    now = now or timezone.now()
    with transaction.atomic():
        delivery, _created = ReceiptDelivery.objects.select_for_update().get_or_create(
            entry=entry)
        if delivery.sent_at is not None:
            return None
        if delivery.claimed_at and delivery.claimed_at > now - timedelta(seconds=lease_seconds()):
            return None
        delivery.claimed_at = now
        delivery.attempts += 1
        delivery.save(update_fields=["claimed_at", "attempts"])
    return delivery


def pending_entries(older_than=None, days=3, now=None):
    """Payments of the last `days` with an address whose receipt is neither sent nor being
    sent. A claim older than `older_than` seconds (the lease by default) is a dead worker's
    and is released first; payments younger than that may still be in the queue."""
    from .models import LedgerEntry, ReceiptDelivery

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds() if older_than is None else older_than)
    ReceiptDelivery.objects.filter(sent_at__isnull=True, claimed_at__lt=cutoff).update(
        claimed_at=None)
    return (
        LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT,
                                   recorded_at__gte=now - timedelta(days=days),
                                   recorded_at__lte=cutoff)
        .filter(Q(contribution__supporter__email_index__gt="")
                | Q(pledge__supporter__email_index__gt=""))
        .filter(Q(receipt_delivery__isnull=True)
                | Q(receipt_delivery__sent_at__isnull=True,
                    receipt_delivery__claimed_at__isnull=True))
        .order_by("pk")
    )
