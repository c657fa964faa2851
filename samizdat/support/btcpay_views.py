"""The link in a BTCPay plan's reminder: a fresh invoice for the period, made on click.

An invoice expires within minutes (BTCPay's default is 15) and a reminder may be
read days later, so the e-mail links here, not to an invoice: each click finds the
period's open invoice (by its orderId) or asks BTCPay for a new one at today's
rate, then sends the reader to BTCPay's checkout. The link names the plan and the
period, signed; it moves no money and reveals nothing but the amount to pay.
"""

from django.core import signing
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .btcpay_plans import OPEN, PAY_SALT, plan_position
from .models import Pledge
from .money import format_money
from .providers.base import ProviderError, get_provider
from .providers.btcpay import BTCPayProvider
from .providers.btcpay_subscriptions import is_subscription

__all__ = ["pay_period"]


def pay_period(request, token):
    try:
        reference, period = signing.loads(token, salt=PAY_SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise Http404 from exc
    pledge = Pledge.objects.filter(reference=reference).first()
    if pledge is None:
        raise Http404
    try:
        provider = get_provider(pledge.provider)
    except KeyError as exc:
        raise Http404 from exc
    if not isinstance(provider, BTCPayProvider) or pledge.activated_at is None:
        raise Http404
    if is_subscription(pledge):
        raise Http404  # BTCPay keeps this plan's periods: no invoice of ours to pay
    thanks = request.build_absolute_uri(reverse("support:thanks", args=[reference]))
    current = plan_position(pledge, provider, timezone.now()).period
    if pledge.status not in OPEN or period < current:
        # Paid already, or the plan has ended: nothing to pay through this link.
        return redirect(thanks if pledge.status in OPEN else reverse("support:manage"))
    try:
        invoice = provider.open_invoice(pledge, thanks, period=current)
    except ProviderError as exc:
        response = render(
            request,
            "support/btcpay_pay_failed.html",
            {
                "message": exc.message,
                "amount": format_money(pledge.amount_minor, pledge.currency),
                "title": _("Your contribution is due"),
            },
            status=exc.status,
        )
        response["Retry-After"] = str(exc.retry_after)
        return response
    return redirect(invoice["checkoutLink"])
