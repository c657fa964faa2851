"""A BTCPay subscription's page on BTCPay Server: its subscriber portal, opened on click.

A portal session lasts an hour, so the page links here, and each click asks
BTCPay for a fresh one; the supporter pays the period (or ahead) there.
"""

from django.contrib import messages
from django.shortcuts import redirect

from .actions.plans import OPEN_PLEDGE_STATUSES
from .providers.base import ProviderError, get_provider
from .providers.btcpay import BTCPayProvider
from .providers.btcpay_subscriptions import Subscriptions, is_subscription

__all__ = ["has_portal", "portal_redirect"]


def has_portal(pledge):
    if not is_subscription(pledge) or not pledge.customer_ref:
        return False
    if pledge.status not in OPEN_PLEDGE_STATUSES:
        return False
    try:
        return isinstance(get_provider(pledge.provider), BTCPayProvider)
    except KeyError:
        return False


def portal_redirect(request, pledge):
    if not has_portal(pledge):
        return redirect("support:manage_account")
    try:
        url = Subscriptions(get_provider(pledge.provider)).portal_url(pledge)
    except ProviderError as exc:
        messages.error(request, exc.message)
        return redirect("support:manage_account")
    return redirect(url)
