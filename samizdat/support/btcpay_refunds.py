"""Refunds of BTCPay gifts: staff ask, BTCPay pays, then the ledger records it.

A crypto payment cannot be pushed back to a card: BTCPay refunds an invoice by
creating a pull payment, which the payer claims on its page with an address of
their own. Asking (`request_refund`) records only that it was asked, with the pull
payment's id, amount and currency; the refund enters the ledger when BTCPay reports
a payout of that pull payment completed: its payout webhooks
(providers/btcpay_payouts.py), or, where those are not sent, `check_refunds`, run by
the periodic job `send_btcpay_reminders` and at once from the admin. Both go through
the same checks. `refund_history` is what the admin shows of a gift's refunds.
"""

import logging
from datetime import timedelta

from django.utils import timezone

from .models import Contribution, LedgerEntry, ProviderEvent
from .providers.base import ProviderError, all_providers, get_provider
from .providers.btcpay import BTCPayProvider
from .providers.btcpay_payouts import ASKED, CHECKED, PAYOUT, PAYOUT_EVENTS, REQUESTED

__all__ = ["RefundError", "check_refunds", "refund_history", "refund_invoice", "request_refund"]

logger = logging.getLogger(__name__)

CHECK_DAYS = 90  # a refund not claimed within this many days is no longer looked for


class RefundError(Exception):
    """This gift cannot be refunded through BTCPay (not a BTCPay gift, nothing paid)."""


def refund_invoice(contribution):
    """(provider, invoice id) of a paid BTCPay gift, or RefundError."""
    try:
        provider = get_provider(contribution.provider)
    except KeyError as exc:
        raise RefundError("the gift's provider is not configured") from exc
    if not isinstance(provider, BTCPayProvider) or not provider.is_configured():
        raise RefundError("not a BTCPay gift")
    entry = contribution.ledger_entries.filter(kind=LedgerEntry.Kind.PAYMENT).first()
    if entry is None or not entry.source_ref:
        raise RefundError("nothing was paid")
    return provider, entry.source_ref


def request_refund(contribution, amount_minor=None):
    """Ask BTCPay to refund a gift (all of it, or `amount_minor` of its currency);
    returns the pull payment (its `viewLink` is where the payer claims it)."""
    provider, invoice_id = refund_invoice(contribution)
    pull_payment = provider.refund(invoice_id, amount_minor, contribution.currency)
    provider.deliver_own_event(
        REQUESTED,
        contribution,
        f"refund-{pull_payment['id']}",
        pullPaymentId=pull_payment["id"],
        invoiceId=invoice_id,
        **{ASKED: {"amount": pull_payment.get("amount"), "currency": pull_payment.get("currency")}},
    )
    return pull_payment


def check_refunds(contribution=None):
    """Record every refund BTCPay has paid since it was asked; returns how many."""
    recorded = 0
    since = timezone.now() - timedelta(days=CHECK_DAYS)
    for provider in all_providers():
        if not isinstance(provider, BTCPayProvider) or not provider.is_configured():
            continue
        asked = ProviderEvent.objects.filter(
            provider=provider.identifier, type=REQUESTED, received_at__gte=since
        )
        for request in asked.order_by("pk"):
            reference = (request.payload.get("metadata") or {}).get("samizdat_reference", "")
            subject = Contribution.objects.filter(reference=reference).first()
            if subject is None or (contribution is not None and subject.pk != contribution.pk):
                continue
            recorded += _record_paid(provider, subject, request.payload)
    return recorded


def _record_paid(provider, subject, asked):
    pull_payment = asked.get("pullPaymentId", "")
    try:
        payouts = provider.fetch_payouts(pull_payment)
    except ProviderError as exc:
        logger.warning(
            "BTCPay refund %s: payouts not readable now (%s)", pull_payment, type(exc).__name__
        )
        return 0
    recorded = 0
    for payout in payouts:
        if (
            payout.get("state") != "Completed"
            or LedgerEntry.objects.filter(
                provider=provider.identifier,
                kind=LedgerEntry.Kind.REFUND,
                provider_ref=payout.get("id"),
            ).exists()
        ):
            continue
        provider.deliver_own_event(
            CHECKED,
            subject,
            f"payout-{payout.get('id')}-Completed",
            payoutId=payout.get("id"),
            pullPaymentId=pull_payment,
        )
        recorded += 1
    return recorded


# The order a payout's states come in; a later event never takes one back.
_STATE_ORDER = ["AwaitingApproval", "AwaitingPayment", "InProgress", "Completed", "Cancelled"]


def refund_history(contribution):
    """Each refund asked for this gift, newest first, with its payouts as BTCPay last
    reported them (its webhooks, or the checks above) and whether the ledger holds
    each: [{"pull_payment", "asked_at", "amount", "currency", "payouts": [{"id",
    "state", "recorded"}]}]."""
    reference = contribution.reference
    asked = ProviderEvent.objects.filter(provider=contribution.provider, type=REQUESTED)
    history = []
    for request in asked.order_by("-received_at", "-pk"):
        payload = request.payload
        if (payload.get("metadata") or {}).get("samizdat_reference") != reference:
            continue
        pull_payment = payload.get("pullPaymentId", "")
        states = {}
        reports = ProviderEvent.objects.filter(
            provider=contribution.provider, type__in=PAYOUT_EVENTS | {CHECKED}
        )
        for report in reports.filter(payload__pullPaymentId=pull_payment):
            seen = report.payload.get(PAYOUT) or {}
            payout_id = report.payload.get("payoutId")
            state = seen.get("state") or report.payload.get("payoutState")
            if payout_id and state in _STATE_ORDER:
                earlier = states.get(payout_id)
                if earlier is None or _STATE_ORDER.index(state) > _STATE_ORDER.index(earlier):
                    states[payout_id] = state
        recorded = set(
            contribution.ledger_entries.filter(
                kind=LedgerEntry.Kind.REFUND, provider_ref__in=states
            ).values_list("provider_ref", flat=True)
        )
        history.append(
            {
                "pull_payment": pull_payment,
                "asked_at": request.received_at,
                "amount": (payload.get(ASKED) or {}).get("amount"),
                "currency": (payload.get(ASKED) or {}).get("currency"),
                "payouts": [
                    {"id": key, "state": state, "recorded": key in recorded}
                    for key, state in sorted(states.items())
                ],
            }
        )
    return history
