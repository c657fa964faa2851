"""BTCPay reconciliation: the store's invoices and refund payouts, as Greenfield lists them.

`list_movements` reads the store's invoices created since a date, page by page
(`GET /api/v1/stores/{storeId}/invoices?startDate&endDate&skip&take`, the end fixed
when the run starts so new invoices shift no page; an invoice listed twice is counted
once), keeps this site's own (`metadata.samizdat_reference`), reads the payments of
each that received money, exactly as a webhook's invoice is read, and the completed
payouts of the refunds staff asked for on them. Each settled payment and each payout is
one movement, matched to the ledger by the id its entry carries
(support/reconcile.py compares them).

What is safe to record (`record_missing`): a settled payment or a completed payout of
this site's own gift or plan that the ledger lacks. It is recorded by the path a
webhook takes, a signed event handed to the same receiver, which reads the invoice or
the payout again from Greenfield, with the API key, before anything is stored; so a
webhook BTCPay gave up redelivering is made good, and the ledger's ids keep it from
being counted twice. An amount that differs, an entry BTCPay does not know, or money
on an invoice or pull payment that is not this site's is only reported: the ledger is
append-only, and which side is wrong is for a person to find out.
"""

import hashlib
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..models import Contribution, LedgerEntry, Pledge, ProviderEvent
from .base import InvalidEvent, Movement, ProviderError
from .btcpay_payouts import CHECKED, REQUESTED

__all__ = ["FOUND", "BTCPayMovement", "list_movements", "record_missing"]

# Settled payments reconciliation found the ledger lacks: {invoiceId}, read again.
FOUND = "SamizdatInvoiceFound"
REFERENCE_KEY = "samizdat_reference"
PAGE_SIZE = 100


@dataclass(frozen=True)
class BTCPayMovement(Movement):
    """A movement with what it takes to record it again: the invoice (and, for a refund,
    the pull payment and payout) and the gift's or plan's reference."""

    reference: str = ""
    invoice_id: str = ""
    pull_payment_id: str = ""
    payout_id: str = ""


def _received_money(invoice):
    if invoice.get("status") == "Settled" or invoice.get("additionalStatus") not in {
        None,
        "None",
    }:
        return True
    try:
        return Decimal(str(invoice.get("paidAmount") or 0)) > 0
    except InvalidOperation:
        return True  # read it, and let the payments say


def listed_invoices(api, since, take):
    """Every invoice of the store created since `since`, each once, page by page."""
    start, end = int(since.timestamp()), int(time.time())
    invoices, skip = {}, 0
    while True:
        page = api.invoices_page(start, end, skip, take)
        if not isinstance(page, list):
            raise ProviderError("BTCPay's invoice list is not a list")
        for invoice in page:
            if isinstance(invoice, dict) and isinstance(invoice.get("id"), str):
                invoices.setdefault(invoice["id"], invoice)
        if len(page) < take:
            return list(invoices.values())
        skip += take


def _ours(invoice):
    metadata = invoice.get("metadata")
    return isinstance(metadata, dict) and isinstance(metadata.get(REFERENCE_KEY), str)


def list_movements(provider, since):
    """(movements, notes): the settled payments of this site's invoices created since
    `since`, and the completed payouts of the refunds asked on them. None where there is
    no BTCPay Server to ask (the demo's stand-in): its events are compared instead."""
    if not all(provider._option(name) for name in ("URL", "STORE_ID", "API_KEY")):
        return None
    take = int(provider.options.get("RECONCILE_PAGE_SIZE", PAGE_SIZE))
    invoices = listed_invoices(provider.api, since, take)
    ours = {invoice["id"]: invoice for invoice in invoices if _ours(invoice)}
    movements = []
    for invoice_id, invoice in ours.items():
        if not _received_money(invoice):
            continue
        reference = invoice["metadata"][REFERENCE_KEY]
        for fact in provider.settled_facts(provider.fetch_invoice(invoice_id)):
            movements.append(
                BTCPayMovement(
                    "payment",
                    frozenset({fact.provider_ref}),
                    fact.amount_minor,
                    fact.currency,
                    f"payment {fact.provider_ref} (invoice of {reference})",
                    reference=reference,
                    invoice_id=invoice_id,
                )
            )
    asked = ProviderEvent.objects.filter(provider=provider.identifier, type=REQUESTED)
    for request in asked.order_by("pk"):
        invoice_id = request.payload.get("invoiceId")
        pull_payment = request.payload.get("pullPaymentId")
        if invoice_id not in ours or not isinstance(pull_payment, str):
            continue
        reference = ours[invoice_id]["metadata"][REFERENCE_KEY]
        for payout in provider.api.payouts(pull_payment) or []:
            if not isinstance(payout, dict) or payout.get("state") != "Completed":
                continue
            payout_id = str(payout.get("id"))
            currency = str(payout.get("originalCurrency") or "").upper()
            try:
                amount = provider._minor(Decimal(str(payout.get("originalAmount"))), currency)
            except (InvalidOperation, KeyError) as exc:
                raise InvalidEvent(f"payout {payout_id}: no readable amount") from exc
            movements.append(
                BTCPayMovement(
                    "refund",
                    frozenset({payout_id}),
                    -amount,
                    currency,
                    f"payout {payout_id} of refund {pull_payment} (invoice of {reference})",
                    reference=reference,
                    invoice_id=invoice_id,
                    pull_payment_id=pull_payment,
                    payout_id=payout_id,
                )
            )
    notes = [f"{len(invoices)} invoice(s) listed by BTCPay, {len(ours)} of them this site's"]
    return movements, notes


def _subject(alias, reference):
    for model in (Contribution, Pledge):
        subject = model.objects.filter(provider=alias, reference=reference).first()
        if subject is not None:
            return subject
    return None


def _in_ledger(alias, movement):
    return LedgerEntry.objects.filter(
        provider=alias, kind=movement.kind, provider_ref__in=movement.keys
    ).exists()


def record_missing(provider, movements):
    """Record what is safe of the movements the ledger lacks (see above), through the
    receiver a webhook reaches. Returns {label: what happened} for each movement."""
    alias, outcome = provider.identifier, {}
    found = {}
    for movement in movements:
        if not isinstance(movement, BTCPayMovement):
            continue
        subject = _subject(alias, movement.reference)
        if subject is None:
            outcome[movement.label] = "not recorded: no gift or plan here has that reference"
            continue
        if movement.kind == "payment":
            found.setdefault((movement.invoice_id, subject), []).append(movement)
        elif movement.kind == "refund":
            status = provider.deliver_own_event(
                CHECKED,
                subject,
                f"payout-{movement.payout_id}-Completed",
                payoutId=movement.payout_id,
                pullPaymentId=movement.pull_payment_id,
            )
            outcome[movement.label] = _said(alias, movement, status)
    for (invoice_id, subject), missing in found.items():
        keys = ",".join(sorted(key for m in missing for key in m.keys))
        digest = hashlib.sha256(keys.encode()).hexdigest()[:16]
        status = provider.deliver_own_event(
            FOUND, subject, f"found-{invoice_id}-{digest}", invoiceId=invoice_id
        )
        for movement in missing:
            outcome[movement.label] = _said(alias, movement, status)
    return outcome


def _said(alias, movement, status):
    if _in_ledger(alias, movement):
        return "recorded now"
    return f"not recorded (the receiver answered {status})"
