"""Receipts: what a payment's receipt says, and the signed link to view it online.

A receipt is derived from a ledger payment entry, never stored: the ledger
is the record. The online link is signed (not stored) and expires, so a
discreet e-mail can carry nothing but that link.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from .emails import absolute_url, supporter_language
from .money import format_money

RECEIPT_SALT = "samizdat.support.receipt"


def receipt_link_days():
    return int(getattr(settings, "SUPPORT_RECEIPT_LINK_DAYS", 30))


def receipt_token(entry):
    return signing.dumps(entry.pk, salt=RECEIPT_SALT, compress=True)


def entry_from_token(token):
    """The ledger payment a receipt link points to, or None if forged or expired."""
    from .models import LedgerEntry

    try:
        entry_id = signing.loads(token, salt=RECEIPT_SALT, max_age=receipt_link_days() * 86400)
    except signing.BadSignature:
        return None
    return (
        LedgerEntry.objects.filter(pk=entry_id, kind=LedgerEntry.Kind.PAYMENT)
        .select_related("contribution__supporter", "pledge__supporter")
        .first()
    )


def receipt_url(entry, language):
    with translation.override(language):
        return absolute_url(reverse("support:receipt", args=[receipt_token(entry)]))


def kind_label(subject):
    frequency = getattr(subject, "frequency", "once")
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
            "kind": kind_label(subject),
            "reference": subject.reference,
            "email": subject.email,
            "url": receipt_url(entry, language),
        }


def recipient(entry):
    return entry.subject.email if entry.subject else ""
