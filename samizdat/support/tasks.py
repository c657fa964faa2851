"""Background jobs that write to supporters, and the signal receivers that queue them.

The ledger code sends payment_recorded / renewal_failed / pledge_canceled
(support/events.py) after its transaction commits; the receivers queue a
task, so a slow mail server never holds up a webhook. Tasks take ids, not
objects.
"""

import logging

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from . import emails, receipts
from .money import format_money

logger = logging.getLogger(__name__)


def _pledge_amount(pledge, language):
    """"$5.00 monthly", in the supporter's language."""
    amount = format_money(pledge.amount_minor, pledge.currency, language)
    with translation.override(language):
        template = {
            "monthly": _("%(amount)s monthly"),
            "annual": _("%(amount)s annual"),
        }.get(pledge.frequency, "%(amount)s")
        return str(template) % {"amount": amount}


@task()
def send_receipt(entry_id, again=False):
    """E-mail the receipt for one ledger payment, once (no address, no receipt).

    The payment's ReceiptDelivery is claimed in a transaction before the message
    goes to the mail server and marked sent once the server accepted it, so a
    second task for the same payment does nothing. A worker killed mid-send
    leaves a claim that `send_pending_receipts` takes over after the lease
    (at-least-once; docs/payments.md, "Receipts when a worker dies").
    `again=True` is a supporter asking for a copy: sent whatever was sent before.
    """
    from .models import LedgerEntry, ReceiptDelivery

    entry = (
        LedgerEntry.objects.select_related("contribution__supporter", "pledge__supporter")
        .filter(pk=entry_id, kind=LedgerEntry.Kind.PAYMENT)
        .first()
    )
    if entry is None or not receipts.recipient(entry):
        return False
    delivery = None if again else receipts.claim(entry)
    if delivery is None and not again:
        return False  # sent already, or another worker is sending it now
    language = emails.supporter_language(entry.subject)
    try:
        emails.send(
            to=receipts.recipient(entry),
            template="receipt",
            subject=_("Your receipt from %(outlet)s"),
            subject_params={"outlet": emails.outlet_settings().name},
            context={
                "receipt": receipts.receipt_context(entry, language),
                "manage_url": emails.reader_url("support:manage", language),
            },
            language=language,
            message_id=receipts.message_id(entry),
            discreet=emails.discreet_for(entry.subject),
        )
    except Exception:
        if delivery is not None:
            # Refused or unreachable: let send_pending_receipts try again later.
            ReceiptDelivery.objects.filter(pk=delivery.pk, sent_at__isnull=True).update(
                claimed_at=None)
        raise
    if delivery is not None:
        ReceiptDelivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())
    return True


def _pledge_notice(pledge_id, template, subject, extra=None):
    from .models import Pledge

    pledge = Pledge.objects.select_related("supporter").filter(pk=pledge_id).first()
    if pledge is None or not pledge.email:
        return False
    language = emails.supporter_language(pledge)
    emails.send(
        to=pledge.email,
        template=template,
        subject=subject,
        context={
            "pledge": pledge,
            "pledge_amount": _pledge_amount(pledge, language),
            "manage_url": emails.reader_url("support:manage", language),
            **(extra or {}),
        },
        language=language,
        discreet=emails.discreet_for(pledge),
    )
    return True


@task()
def send_renewal_failed(pledge_id):
    """Tell a supporter a renewal failed, with the way to fix it."""
    from .models import Pledge
    from .payment_links import url_for

    pledge = Pledge.objects.filter(pk=pledge_id).first()
    if pledge is None:
        return False
    payment_url = url_for(pledge, emails.supporter_language(pledge))
    return _pledge_notice(
        pledge_id, _renewal_failed_template(pledge_id),
        _("Your contribution could not be collected"),
        extra={"payment_url": payment_url},
    )


def _renewal_failed_template(pledge_id):
    """A plan the supporter pays each period (BTCPay) was not charged: its period went
    unpaid, and the message says so instead of speaking of a card."""
    from .models import Pledge
    from .providers.base import get_provider

    alias = Pledge.objects.filter(pk=pledge_id).values_list("provider", flat=True).first()
    try:
        collects = get_provider(alias).collects_recurring
    except KeyError:
        collects = True
    return "renewal_failed" if collects else "period_unpaid"


@task()
def send_cancellation(pledge_id):
    return _pledge_notice(pledge_id, "canceled", _("Your contribution has been canceled"))


@task()
def send_manage_link(email_index, language):
    """Issue and e-mail a single-use link, if the address belongs to a supporter who paid.

    Takes the address's blind index (support/crypto.py), never the address:
    a queued task's arguments are stored in the database. Queued for every
    request, known address or not, so the page that asked behaves the same
    either way; only this job knows.
    """
    from samizdat.core import selfservice as sections

    from .models import ManageLink
    from .selfservice import paying_supporter, reader_address

    # Only an address that has paid, or that confirmed a newsletter itself: anyone can
    # type any address into a form, and the outlet must not become a way to mail strangers.
    address = reader_address(email_index)
    supporter = paying_supporter(email_index)
    if address is None:
        return False
    holds = manage_link_kind(supporter is not None, sections.address_for(email_index))
    _link, token = ManageLink.objects.issue(email_index)
    emails.send(
        to=address,
        template="manage_link",
        subject=MANAGE_LINK_SUBJECTS[holds],
        context={"link": emails.reader_url("support:manage_enter", language, token=token),
                 "holds": holds},
        language=language,
        discreet=emails.discreet_for(supporter=supporter),
    )
    return True


# The link's e-mail names what the reader has: support, newsletters (the one app that
# adds a section to the page, core/selfservice.py) or both; never "your support" to a
# reader who only reads a newsletter.
MANAGE_LINK_SUBJECTS = {
    "support": _("Your link to manage your support"),
    "newsletters": _("Your link to manage your newsletters"),
    "both": _("Your link to manage your support and your newsletters"),
}


def manage_link_kind(paid, section_address):
    if paid and section_address:
        return "both"
    return "support" if paid else "newsletters"


# --- Signal receivers ------------------------------------------------------------


def on_payment_recorded(sender, entry, **kwargs):
    send_receipt.enqueue(entry.pk)


def on_renewal_failed(sender, pledge, **kwargs):
    send_renewal_failed.enqueue(pledge.pk)


def on_pledge_canceled(sender, pledge, **kwargs):
    send_cancellation.enqueue(pledge.pk)


def forget_funding_figures(sender=None, **kwargs):
    """Money moved or the goal changed: funding.json recomputes on its next request."""
    from django.core.cache import cache

    from .events import funding_changed
    from .goal_views import CACHE_KEY

    cache.delete(CACHE_KEY)
    funding_changed.send(sender=forget_funding_figures)


def connect_signals():
    """Called from the app config's ready(); idempotent through dispatch_uid."""
    from django.db.models.signals import post_save

    from . import events
    from .models import ExchangeRate, FundingGoal

    events.payment_recorded.connect(on_payment_recorded, dispatch_uid="support.receipt")
    events.renewal_failed.connect(on_renewal_failed, dispatch_uid="support.renewal_failed")
    events.pledge_canceled.connect(on_pledge_canceled, dispatch_uid="support.canceled")
    for signal in (events.payment_recorded, events.pledge_canceled, events.pledge_activated,
                   events.contribution_refunded):
        signal.connect(forget_funding_figures, dispatch_uid=f"support.funding.{id(signal)}")
    for model in (FundingGoal, ExchangeRate):
        post_save.connect(forget_funding_figures, sender=model,
                          dispatch_uid=f"support.funding.{model.__name__}")
