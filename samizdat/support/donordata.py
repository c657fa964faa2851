"""A supporter's own data: everything held under their address, and its erasure.

Both act on the signed-in address's blind index (support/crypto.py), so
every Supporter row with that address counts, whatever the letter case
used at each gift. The export is JSON a supporter (or another service) can
read; its fields are documented in docs/privacy.md. Erasure cancels open
plans at the provider first and erases nothing unless every cancellation
was accepted; `retention.forget_supporter` then blanks the address and
what links payments to it, and keeps the ledger's amounts under the
supporter's number.
"""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from samizdat.core import personal_data

from . import selfservice
from .money import decimal_places, format_money, minor_to_major
from .providers.base import get_provider

FORMAT = "samizdat.supporter-data"
VERSION = 1


class ErasureError(selfservice.SelfServiceError):
    """A plan could not be canceled: nothing was erased. `canceled` lists plans that were."""

    def __init__(self, message, canceled=()):
        super().__init__(message)
        self.canceled = list(canceled)


# --- What is held ---------------------------------------------------------------------


def supporters_for(email_index):
    from .models import Supporter

    return Supporter.objects.with_index(email_index).order_by("pk")


def _theirs(email_index):
    """Rows under their supporter number, and checkouts started with their address that
    no payment reached (those hold the address themselves, support/models)."""
    return (Q(supporter__in=supporters_for(email_index))
            | Q(checkout_email_index=email_index or "-"))


def _pledges(email_index):
    from .models import Pledge

    return Pledge.objects.filter(_theirs(email_index)).order_by(
        "created_at", "pk"
    )


def _gifts(email_index):
    from .models import Contribution

    return Contribution.objects.filter(_theirs(email_index)).order_by(
        "created_at", "pk"
    )


def _ledger(email_index):
    from .models import LedgerEntry

    supporters = supporters_for(email_index)
    return (
        LedgerEntry.objects.filter(
            Q(contribution__supporter__in=supporters) | Q(pledge__supporter__in=supporters)
        )
        .select_related("contribution", "pledge")
        .order_by("occurred_at", "pk")
    )


def _links(email_index):
    from .models import ManageLink

    return ManageLink.objects.filter(email_index=email_index).order_by("created_at", "pk")


def _receipts_sent(entry_ids):
    """{ledger entry id: when its receipt e-mail was accepted by the mail server}."""
    from .models import ReceiptDelivery

    return dict(
        ReceiptDelivery.objects.filter(entry__in=entry_ids, sent_at__isnull=False)
        .values_list("entry_id", "sent_at")
    )


def _when(value):
    return value.isoformat() if value else None


def _provider_name(alias):
    try:
        return str(get_provider(alias).public_name)
    except KeyError:
        return alias


def _money(amount_minor, currency):
    """Minor units (exact) and a fixed-point major-unit string ("10.00", "-42.00", "500" JPY)."""
    amount = f"{minor_to_major(amount_minor, currency):.{decimal_places(currency)}f}"
    return {"amount_minor": amount_minor, "amount": amount, "currency": currency}


def export(email_index, now=None):
    """Everything held under this address, as JSON-ready values (no provider secrets)."""
    now = now or timezone.now()
    plans = [
        {
            "reference": p.reference,
            **_money(p.amount_minor, p.currency),
            "frequency": p.frequency,
            "status": p.status,
            "payment_method": p.provider,
            "payment_method_name": _provider_name(p.provider),
            "language": p.language,
            "appeal": p.appeal,
            "variant": p.variant,
            "cancel_reason": p.cancel_reason,
            "discreet_emails": p.discreet_emails,
            "created_at": _when(p.created_at),
            "activated_at": _when(p.activated_at),
            "canceled_at": _when(p.canceled_at),
        }
        for p in _pledges(email_index)
    ]
    gifts = [
        {
            "reference": c.reference,
            **_money(c.amount_minor, c.currency),
            "status": c.status,
            "payment_method": c.provider,
            "payment_method_name": _provider_name(c.provider),
            "language": c.language,
            "appeal": c.appeal,
            "variant": c.variant,
            "discreet_emails": c.discreet_emails,
            "created_at": _when(c.created_at),
            "paid_at": _when(c.paid_at),
        }
        for c in _gifts(email_index)
    ]
    ledger, receipts = [], []
    entries = list(_ledger(email_index))
    sent = _receipts_sent([entry.pk for entry in entries])
    for entry in entries:
        subject = entry.subject
        row = {
            "id": entry.pk,
            "kind": entry.kind,
            **_money(entry.amount_minor, entry.currency),
            "occurred_at": _when(entry.occurred_at),
            "gift": entry.contribution.reference if entry.contribution_id else None,
            "plan": entry.pledge.reference if entry.pledge_id else None,
        }
        ledger.append(row)
        if entry.kind == entry.Kind.PAYMENT:
            receipts.append({
                "number": f"{subject.reference}-{entry.pk}",
                "ledger_id": entry.pk,
                "date": _when(entry.occurred_at),
                **_money(entry.amount_minor, entry.currency),
                "sent_at": _when(sent.get(entry.pk)),
            })
    return {
        "format": FORMAT,
        "version": VERSION,
        "generated_at": _when(now),
        "email": selfservice.email_for(email_index) or "",
        "supporter_ids": [s.pk for s in supporters_for(email_index)],
        # The choice made on the manage page (null: never chosen, the newsroom's default).
        "discreet_emails": next(
            (s.discreet_emails for s in supporters_for(email_index)
             if s.discreet_emails is not None), None),
        "plans": plans,
        "gifts": gifts,
        "ledger": ledger,
        "receipts": receipts,
        # What other apps hold under the address (e.g. appeals' reminders).
        **{handler.name: handler.export(email_index) for handler in personal_data.handlers()},
        "sign_in_links": [
            {"created_at": _when(link.created_at), "expires_at": _when(link.expires_at),
             "used_at": _when(link.used_at)}
            for link in _links(email_index)
        ],
    }


# --- Erasure --------------------------------------------------------------------------


def open_plans(email_index):
    """Plans that would go on charging: they are canceled before anything is erased."""
    from .models import Pledge

    return (
        Pledge.objects.filter(supporter__in=supporters_for(email_index),
                              status__in=selfservice.OPEN_PLEDGE_STATUSES)
        .select_related("supporter")
        .order_by("created_at", "pk")
    )


def summary(email_index, language=None):
    """What the confirmation page names: open plans, and how much else is held."""
    return {
        "plans": [selfservice.describe(p, language) for p in open_plans(email_index)],
        "gifts": _gifts(email_index).count(),
        "payments": _ledger(email_index).count(),
        **{handler.summary_name: handler.count(email_index)
           for handler in personal_data.handlers()},
    }


def plan_label(pledge):
    return _("%(amount)s (%(frequency)s, reference %(reference)s)") % {
        "amount": format_money(pledge.amount_minor, pledge.currency),
        "frequency": pledge.get_frequency_display(),
        "reference": pledge.reference,
    }


def erase(email_index):
    """Cancel every open plan at its provider, then forget the address (every row).

    Stops at the first plan the provider will not cancel, erasing nothing
    (plans already canceled stay canceled: the provider did that, and the
    error says so). Returns the number of supporter rows erased.
    """
    from .retention import forget_address, forget_supporter

    canceled = []
    for pledge in open_plans(email_index):
        try:
            selfservice.cancel_pledge(pledge)
        except selfservice.SelfServiceError as exc:
            message = _(
                "The payment service did not cancel your regular contribution %(plan)s, so "
                "nothing was deleted and that plan goes on. Please try again later, or write "
                "to us."
            ) % {"plan": plan_label(pledge)}
            raise ErasureError(message, canceled) from exc
        canceled.append(pledge)
    supporter = supporters_for(email_index).first()
    if supporter is None:
        # A reader who never gave (a newsletter subscriber): the other apps' rows, the
        # links, task rows and sessions under the address still go.
        return forget_address(email_index)
    with transaction.atomic():
        # Every row under the same address goes, with its links and reminders.
        return forget_supporter(supporter)
