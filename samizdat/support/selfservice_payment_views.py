"""Fixing a failed renewal: the page the failed-renewal e-mail links to (thin views over
support/actions/payments.py). The page itself changes nothing; its buttons ask the
provider for a card page or for the payment again."""

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from .actions import ActionError
from .actions.payments import can_retry, can_update_card, retry_payment, update_card_url
from .emails import absolute_url
from .money import format_money
from .payment_links import pledge_from_token


def _noindex(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@never_cache
def payment_update(request, token):
    pledge = pledge_from_token(token)
    if pledge is None:
        return _noindex(render(request, "support/selfservice/payment_gone.html", status=410))
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    here = request.path  # the link as sent: a fresh token would extend its life
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "update":
                return redirect(update_card_url(pledge, absolute_url(here) + "?back=1"))
            if action != "retry":
                raise ActionError(_("Unknown action."))
            if retry_payment(pledge):
                messages.success(
                    request,
                    _(
                        "Thank you: the payment went through. It shows "
                        "here once the payment service confirms it."
                    ),
                )
            else:
                messages.info(request, _("There was nothing left to collect."))
        except ActionError as exc:
            messages.error(request, exc.message)
        return redirect(here)
    context = {
        "pledge": pledge,
        "amount": format_money(pledge.amount_minor, pledge.currency, get_language()),
        "can_update": can_update_card(pledge),
        "can_retry": can_retry(pledge),
        "back": request.GET.get("back") == "1",
    }
    return _noindex(render(request, "support/selfservice/payment_update.html", context))
