"""BTCPay payouts: a refund staff asked for enters the ledger once BTCPay has paid it.

BTCPay refunds an invoice with a pull payment (support/btcpay_refunds.py stores its id,
amount and currency when staff ask); the payer claims it, which makes a payout, staff
approve it in BTCPay, and BTCPay sends it. The webhooks `PayoutCreated`,
`PayoutApproved` and `PayoutUpdated` carry only the payout's id, its pull payment and
its state (`WebhookPayoutEvent`, BTCPayServer.Client/Models/WebhookInvoiceEvent.cs), so
before such an event is stored the payout is read back from Greenfield, with the
refund it pays, like an invoice event's payments (providers/btcpay.py). Only a payout
of a pull payment this site asked for, *Completed*, in the refund's currency and within
its amount, becomes a "refund" fact, keyed by the payout's id: a redelivery, a later
event of the same payout or the polling of support/btcpay_refunds.py records it once,
and a cancelled payout records nothing.
"""

from decimal import Decimal, InvalidOperation

from ..facts import Fact
from ..models import ProviderEvent
from .base import InvalidEvent

__all__ = [
    "ASKED",
    "CHECKED",
    "PAYOUT_EVENTS",
    "PAYOUT_FIELDS",
    "REQUESTED",
    "complete_payout_event",
    "payout_facts",
    "refund_request",
]

PAYOUT_EVENTS = {"PayoutCreated", "PayoutApproved", "PayoutUpdated"}
# The same question asked by this site itself (polling, reconciliation), signed like
# BTCPay's events: {payoutId, pullPaymentId}.
CHECKED = "SamizdatPayoutChecked"
REQUESTED = "SamizdatRefundRequested"
# What was asked (the pull payment BTCPay made), stored with the request.
ASKED = "samizdat_asked"
# What Greenfield says of the payout and of its refund, put into the event before it is
# stored.
PAYOUT = "samizdat_payout"
REFUND = "samizdat_refund"
PAYOUT_FIELDS = {
    "payoutId": True,
    "payoutState": True,
    ASKED: {"amount": True, "currency": True},
    PAYOUT: {
        "id": True,
        "pullPaymentId": True,
        "state": True,
        "originalAmount": True,
        "originalCurrency": True,
    },
    REFUND: {
        "reference": True,
        "invoiceId": True,
        "amount": True,
        "currency": True,
        "completed": True,
    },
}


def _text(value, name):
    if not isinstance(value, str) or not value or len(value) > 255:
        raise InvalidEvent(f"{name} is not a short string")
    return value


def _amount(value, name="an amount"):
    try:
        number = Decimal(_text(value, name))
    except InvalidOperation as exc:
        raise InvalidEvent(f"{name} is not a decimal") from exc
    if not number.is_finite() or number < 0:
        raise InvalidEvent(f"{name} is not a positive decimal")
    return number


def refund_request(alias, pull_payment_id):
    """The stored request of the refund this pull payment pays, or None: the link from a
    payout to the gift is the pull payment id kept when staff asked."""
    return ProviderEvent.objects.filter(
        provider=alias, event_id=f"{REQUESTED}:refund-{pull_payment_id}"
    ).first()


def complete_payout_event(provider, payload):
    """Add to a payout event what Greenfield says of the payout and its refund; an event
    about a pull payment this site did not ask for is left as it is (it records nothing).
    Reads the pull payment's payouts, cancelled ones included, in one call."""
    _text(payload.get("payoutId"), "the payout id")
    pull_payment = payload.get("pullPaymentId")
    if not pull_payment:
        return payload  # a payout made in BTCPay without a pull payment: not a refund
    request = refund_request(provider.identifier, _text(pull_payment, "the pull payment"))
    if request is None:
        return payload
    asked = request.payload.get(ASKED) or {}
    payouts = provider.api.payouts(pull_payment, include_cancelled=True)
    if not isinstance(payouts, list):
        raise InvalidEvent("the payouts are not a list")
    payouts = [p for p in payouts if isinstance(p, dict)]
    completed = sum(
        (_amount(p.get("originalAmount")) for p in payouts if p.get("state") == "Completed"),
        Decimal(0),
    )
    payload[REFUND] = {
        "reference": (request.payload.get("metadata") or {}).get("samizdat_reference"),
        "invoiceId": request.payload.get("invoiceId"),
        "amount": asked.get("amount"),
        "currency": asked.get("currency"),
        "completed": str(completed),
    }
    for payout in payouts:
        if payout.get("id") == payload["payoutId"]:
            payload[PAYOUT] = {key: payout.get(key) for key in PAYOUT_FIELDS[PAYOUT]}
    return payload


def payout_facts(payload, minor):
    """A "refund" fact for a completed payout of a refund this site asked for; else none.
    A payout that is not what was asked (another currency, more than the refund) is
    refused: money left that nobody here asked for, which staff must look at
    (reconcile_provider lists it)."""
    refund, payout = payload.get(REFUND), payload.get(PAYOUT)
    if not isinstance(refund, dict) or not isinstance(payout, dict):
        return []  # not a refund of ours, or BTCPay no longer lists the payout
    if payout.get("id") != payload.get("payoutId") or payout.get("pullPaymentId") != payload.get(
        "pullPaymentId"
    ):
        raise InvalidEvent("the fetched payout is another one")
    if payout.get("state") != "Completed":
        return []  # asked, approved, being sent or cancelled: no money has left yet
    currency = _text(payout.get("originalCurrency"), "the currency").upper()
    amount = _amount(payout.get("originalAmount"))
    if refund.get("currency") and currency != _text(refund["currency"], "the currency").upper():
        raise InvalidEvent("the payout is not in the currency of the refund asked")
    if refund.get("amount") and _amount(refund.get("completed")) > _amount(refund["amount"]):
        raise InvalidEvent("the payouts come to more than the refund asked")
    return [
        Fact(
            "refund",
            reference=_text(refund.get("reference"), "the reference"),
            source_ref=_text(refund.get("invoiceId"), "the invoice id"),
            provider_ref=_text(payout.get("id"), "the payout id"),
            amount_minor=minor(amount, currency),
            currency=currency,
        )
    ]
