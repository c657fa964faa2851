"""'Manage my support': thin views over support/selfservice.py.

No passwords: an e-mailed single-use link signs the supporter in for an
hour. Opening the link shows a button rather than signing in at once, so
mail scanners that fetch every link cannot spend it.
"""

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from samizdat.core import selfservice as sections

from . import selfservice
from .actions import ActionError
from .actions.plans import cancel_plan, change_plan, pause_plan, resume_plan
from .crypto import blind_index
from .emails import supporter_language
from .models.contributions import Frequency
from .receipts import entry_from_token, receipt_context
from .tasks import send_manage_link, send_receipt
from .throttle import client_key

# Requests per hour before further ones are quietly dropped (the page says the same).
LINKS_PER_ADDRESS = 5
LINKS_PER_CLIENT = 100  # generous: a Tor exit or a VPN is many readers


class EmailForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)


class ChangeForm(forms.Form):
    amount = forms.CharField(label=_("Amount"), max_length=20)
    # The frequencies a plan can have, labelled as everywhere else (Frequency).
    frequency = forms.ChoiceField(
        label=_("Frequency"),
        choices=[(f.value, f.label) for f in (Frequency.MONTHLY, Frequency.ANNUAL)],
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you canceling? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _noindex(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _within_limit(key, limit):
    """Count a request under `key`; False once `limit` is passed within the hour."""
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1
    return count <= limit


def _may_send(request, email_index):
    client = client_key(request)  # keyed hashes, never the address itself
    return _within_limit(
        f"support:link:addr:{email_index[:32]}", LINKS_PER_ADDRESS
    ) and _within_limit(f"support:link:client:{client}", LINKS_PER_CLIENT)


@never_cache
def manage(request):
    """Ask for a link. Known or unknown address, the answer is the same page."""
    if selfservice.signed_in_index(request.session) and request.method == "GET":
        return redirect("support:manage_account")
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The queued task's arguments are stored: the blind index, not the address.
        email_index = blind_index(form.cleaned_data["email"])
        if _may_send(request, email_index):
            send_manage_link.enqueue(email_index, get_language())
        return redirect("support:manage_sent")
    return _noindex(render(request, "support/selfservice/request.html", {"form": form}))


@never_cache
def manage_sent(request):
    return _noindex(render(request, "support/selfservice/sent.html"))


@never_cache
def manage_enter(request, token):
    """GET shows a button; POST spends the link and signs in."""
    from .models import ManageLink

    if request.method == "POST":
        link = ManageLink.objects.redeem(token)
        if link is not None:
            selfservice.sign_in(request.session, link.email_index)
            return redirect("support:manage_account")
        usable = False
    else:
        usable = ManageLink.objects.usable(token)
    status = 200 if usable else 410
    return _noindex(
        render(
            request,
            "support/selfservice/enter.html",
            {"usable": usable, "form": EmailForm()},
            status=status,
        )
    )


def _signed_in(view):
    def wrapper(request, *args, **kwargs):
        email_index = selfservice.signed_in_index(request.session)
        if email_index is None:
            messages.info(request, _("Your session has ended. Ask for a new link."))
            return redirect("support:manage")
        return _noindex(view(request, email_index, *args, **kwargs))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return never_cache(wrapper)


@_signed_in
def manage_account(request, email_index):
    language = get_language()
    pledges = [selfservice.describe(p, language) for p in selfservice.pledges_for(email_index)]
    payments = [
        (entry, receipt_context(entry, language))
        for entry in selfservice.payments_for(email_index)[:100]
    ]
    return render(
        request,
        "support/selfservice/account.html",
        {
            "email": selfservice.email_for(email_index) or "",
            "discreet": selfservice.discreet_choice(email_index),
            "pledges": pledges,
            "payments": payments,
            # Other apps' parts of the page (newsletters), core/selfservice.py.
            "sections": sections.render_sections(request, email_index),
        },
    )


@_signed_in
def pledge_change(request, email_index, pk):
    """Change the amount or frequency, pause or resume (POST only)."""
    pledge = selfservice.pledge_for(email_index, pk)
    if pledge is None:
        raise Http404
    if request.method != "POST":
        return redirect("support:manage_account")
    action = request.POST.get("action")
    try:
        if action == "change":
            form = ChangeForm(request.POST)
            if not form.is_valid():
                raise ActionError(_("Enter an amount and a frequency."))
            change_plan(
                pledge, form.cleaned_data["amount"], form.cleaned_data["frequency"]
            )
            messages.success(request, _("Your change was sent. It shows here once confirmed."))
        elif action == "pause":
            pause_plan(pledge)
            messages.success(request, _("Your contribution is being paused."))
        elif action == "resume":
            resume_plan(pledge)
            messages.success(request, _("Your contribution is being resumed."))
        else:
            raise ActionError(_("Unknown action."))
    except ActionError as exc:
        messages.error(request, exc.message)
    return redirect("support:manage_account")


@require_POST
@_signed_in
def manage_emails(request, email_index):
    """The supporter's discreet-e-mail choice, for every message from now on."""
    discreet = request.POST.get("discreet") == "1"
    selfservice.set_discreet(email_index, discreet)
    messages.success(request, _("From now on our e-mails to you are discreet.") if discreet
                     else _("From now on our e-mails to you name us and show the amount."))
    return redirect(reverse("support:manage_account") + "#emails")


@_signed_in
def pledge_cancel(request, email_index, pk):
    """A confirmation page with an optional reason, then the cancellation."""
    pledge = selfservice.pledge_for(email_index, pk)
    if pledge is None:
        raise Http404
    view = selfservice.describe(pledge, get_language())
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_plan(pledge, form.cleaned_data["reason"])
        except ActionError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Your contribution is canceled. Thank you for your support so far.")
            )
        return redirect("support:manage_account")
    return render(request, "support/selfservice/cancel.html", {"view": view, "form": form})


@require_POST
@_signed_in
def pledge_btcpay_portal(request, email_index, pk):
    """A BTCPay subscription's "pay or see your plan": to BTCPay's subscriber portal."""
    from .btcpay_subscription_views import portal_redirect

    pledge = selfservice.pledge_for(email_index, pk)
    if pledge is None:
        raise Http404
    return portal_redirect(request, pledge)


@_signed_in
def manage_receipt(request, email_index, pk):
    entry = selfservice.payment_for(email_index, pk)
    if entry is None:
        raise Http404
    return _render_receipt(request, entry)


@require_POST
@_signed_in
def manage_receipt_send(request, email_index, pk):
    entry = selfservice.payment_for(email_index, pk)
    if entry is None:
        raise Http404
    send_receipt.enqueue(entry.pk, again=True)  # a copy on request, sent before or not
    # Never an address in a message: messages may travel in a cookie (settings.py).
    messages.success(request, _("A copy of the receipt is on its way to your e-mail address."))
    return redirect(reverse("support:manage_account") + "#payments")


@require_POST
def manage_sign_out(request):
    selfservice.sign_out(request.session)
    return redirect("support:manage")


@never_cache
def receipt(request, token):
    """A receipt reached through the signed link in an e-mail."""
    entry = entry_from_token(token)
    if entry is None:
        return _noindex(render(request, "support/selfservice/receipt_gone.html", status=404))
    return _noindex(_render_receipt(request, entry))


def _render_receipt(request, entry):
    from .emails import outlet_settings

    language = get_language() or supporter_language(entry.subject)
    return render(
        request,
        "support/selfservice/receipt.html",
        {"receipt": receipt_context(entry, language), "outlet": outlet_settings()},
    )
