"""Admin: staff refund a BTCPay gift (support/btcpay_refunds.py does the work).

The refund is asked of BTCPay here and recorded in the ledger only when BTCPay
reports it paid; the page shows staff the claim link to give the payer, and each
refund asked with its payouts' states (a cancelled one recorded nothing).
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column

from . import audit
from .btcpay_refunds import (
    RefundError,
    check_refunds,
    refund_history,
    refund_invoice,
    request_refund,
)
from .models import Contribution
from .money import AmountError, format_money, parse_amount
from .providers.base import ProviderError

__all__ = ["REFUND_PERMISSION", "RefundColumn", "refund_view"]

# A refund sends money away: only staff who may change gifts (superusers unless granted).
REFUND_PERMISSION = "support.change_contribution"


def refundable(contribution):
    if contribution.status not in {Contribution.Status.PAID, Contribution.Status.MISMATCH}:
        return False
    try:
        refund_invoice(contribution)
    except RefundError:
        return False
    return True


class RefundForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount to refund"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to refund the whole gift."),
    )

    def __init__(self, *args, contribution, **kwargs):
        super().__init__(*args, **kwargs)
        self.contribution = contribution

    def clean_amount(self):
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        try:
            amount = parse_amount(text, self.contribution.currency)
        except AmountError as exc:
            raise forms.ValidationError(exc.message) from exc
        if not 0 < amount <= self.contribution.amount_minor:
            raise forms.ValidationError(_("At most the amount of the gift."))
        return amount


def refund_view(request, pk):
    if not request.user.has_perm(REFUND_PERMISSION):
        raise PermissionDenied
    contribution = get_object_or_404(Contribution, pk=pk)
    if request.method == "GET":
        audit.log_record(request, contribution, view="btcpay-refund")
    can_refund = refundable(contribution)
    history = refund_history(contribution) if contribution.provider else []
    if not can_refund and (request.method == "POST" or not history):
        messages.error(request, _("This gift cannot be refunded through BTCPay Server."))
        return redirect("contributions:index")
    form = RefundForm(request.POST or None, contribution=contribution) if can_refund else None
    pull_payment = None
    if request.method == "POST" and form.is_valid():
        try:
            pull_payment = request_refund(contribution, form.cleaned_data["amount"])
        except ProviderError as exc:
            form.add_error(None, exc.message)
        else:
            audit.log_record(request, contribution, view="btcpay-refund-asked")
            check_refunds(contribution)
            history = refund_history(contribution)
    return render(
        request,
        "support/staff/btcpay_refund.html",
        {
            "contribution": contribution,
            "form": form,
            "pull_payment": pull_payment,
            "amount": format_money(contribution.amount_minor, contribution.currency),
            "history": [
                {**item, "asked": _asked(item), "payouts": [_payout(p) for p in item["payouts"]]}
                for item in history
            ],
        },
    )


PAYOUT_STATES = {
    "AwaitingApproval": _("claimed by the payer, awaiting your approval in BTCPay Server"),
    "AwaitingPayment": _("approved, waiting to be sent"),
    "InProgress": _("being sent"),
    "Completed": _("paid out"),
    "Cancelled": _("cancelled in BTCPay Server: nothing was paid or recorded"),
}


def _asked(item):
    try:
        return format_money(parse_amount(item["amount"], item["currency"]), item["currency"])
    except (AmountError, TypeError, KeyError):
        return ""


def _payout(payout):
    return {**payout, "label": PAYOUT_STATES.get(payout["state"], payout["state"])}


class RefundColumn(Column):
    """ "Refund" on paid BTCPay gifts, for staff who may refund."""

    cell_template_name = "support/staff/btcpay_refund_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        allowed = request is not None and request.user.has_perm(REFUND_PERMISSION)
        context["refund_url"] = (
            reverse("contributions:btcpay_refund", args=[instance.pk])
            if allowed and instance.provider and refundable(instance)
            else ""
        )
        # A gift refunded in full keeps a link to its refunds.
        context["refunds_url"] = (
            reverse("contributions:btcpay_refund", args=[instance.pk])
            if allowed
            and not context["refund_url"]
            and instance.status == Contribution.Status.REFUNDED
            and refund_history(instance)
            else ""
        )
        return context
