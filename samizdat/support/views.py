"""Thin views for the contribution page, its checkout steps, and the webhook endpoint.

No view here changes money state except `webhook` (through
support/webhooks.py) and the staff "transfer received" action: the
thank-you page only reads.
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import user_passes_test
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from wagtail.models import Site

from . import advice, selfservice, throttle, webhooks
from .actions.transfers import mark_transfer_received
from .checkout import (
    FREQUENCY_ORDER,
    amount_choice,
    available_methods,
    contribution_settings,
    find_subject,
    new_attempt,
    start_checkout,
)
from .emails import email_settings
from .forms import ContributionForm, clean_tag
from .models import Contribution, Pledge
from .models.contributions import Frequency
from .money import SUPPORTED_CURRENCIES, AmountError, format_money, major_string, parse_amount
from .providers.base import ProviderError, get_provider
from .providers.btcpay_demo import DemoBTCPayProvider
from .providers.demo import DemoProvider


def _is_verified_staff(user):
    # With django-otp's middleware, staff must also have passed the second factor.
    verified = getattr(user, "is_verified", None)
    return user.is_active and user.is_staff and (verified is None or verified())


staff_member_required = user_passes_test(_is_verified_staff, login_url="wagtailadmin_login")


def _options(request):
    return contribution_settings(Site.find_for_request(request))


def _choices_from(source, options):
    """Frequency, currency, amount and attribution from GET params (or a past attempt)."""
    frequency = source.get("frequency")
    if frequency not in Frequency.values:
        frequency = options.default_frequency
    currency = (source.get("currency") or "").upper()
    if currency not in SUPPORTED_CURRENCIES:
        currency = options.currency_for_language(get_language())
    choice = amount_choice(options, currency, frequency)
    amount, other = major_string(choice.default, currency), ""
    if source.get("amount"):
        try:
            minor = parse_amount(source["amount"], currency)
            amount = major_string(minor, currency)
            if minor not in choice.presets:
                amount, other = "other", amount
        except AmountError:
            pass
    return {
        "frequency": frequency, "currency": currency, "amount": amount, "other_amount": other,
        "appeal": clean_tag(source.get("appeal")), "variant": clean_tag(source.get("variant")),
        "email": "", "risk": advice.is_risky(source),
        # The reader's box as they left it ("Change" on the method step), else ticked by
        # the newsroom's default or by the reader's "risky country" switch.
        "discreet": (source.get("discreet") == "1" if source.get("discreet") in ("0", "1")
                     else advice.is_risky(source) or email_settings().discreet),
    }


def _form_context(options, values, form=None, message=""):
    choice = amount_choice(options, values["currency"], values["frequency"])
    base = reverse("support:contribute")
    keep = {k: values[k] for k in ("appeal", "variant") if values.get(k)}
    risky = values.get("risk", False)

    def link(**changes):
        params = {"frequency": values["frequency"], "currency": values["currency"], **keep,
                  **({"risk": "1"} if risky else {}), **changes}
        return f"{base}?{urlencode({k: v for k, v in params.items() if v != ''})}"

    copy = advice.page_copy()
    methods = advice.order_methods(available_methods(options, values["frequency"]), risky)
    return {
        "risk": risky,
        "risk_on_url": link(risk="1"),
        "risk_off_url": link(risk=""),
        "copy": copy,
        "method_notes": advice.method_notes(methods, copy),
        "form": form,
        "values": values,
        "message": message,
        "choice": choice,
        "presets": [(major_string(p, choice.currency), format_money(p, choice.currency))
                    for p in choice.presets],
        "minimum_display": format_money(choice.minimum, choice.currency),
        "frequency_tabs": [
            {"value": str(f), "label": Frequency(f).label, "url": link(frequency=str(f)),
             "current": str(f) == values["frequency"]} for f in FREQUENCY_ORDER
        ],
        "currency_tabs": [
            {"value": c, "url": link(currency=c), "current": c == values["currency"]}
            for c in SUPPORTED_CURRENCIES
        ],
        "email_required": values["frequency"] != Frequency.ONCE,
    }


def _render_form(request, options, values, form=None, message="", status=200):
    context = _form_context(options, values, form, message)
    return render(request, "support/contribute.html", context, status=status)


def contribute(request):
    """Step 1 (amount, frequency, currency, e-mail) and step 2 (payment method)."""
    options = _options(request)
    if request.method == "GET":
        return _render_form(request, options, _choices_from(request.GET, options))
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    form = ContributionForm(request.POST, options=options)
    values = _choices_from(request.POST, options)
    values.update(amount=request.POST.get("amount", values["amount"])[:20],
                  other_amount=request.POST.get("other_amount", "")[:20],
                  email=request.POST.get("email", "")[:254])
    if request.POST.get("discreet_asked") == "1":
        values["discreet"] = bool(request.POST.get("discreet"))
    if form.is_bot:
        throttle.count_suspicious(request)
        return _render_form(request, options, values, form,
                            _("Something went wrong. Nothing was charged; please try again."),
                            status=400)
    if not form.is_valid():
        return _render_form(request, options, values, form, status=400)
    data = form.cleaned_data
    if not data.get("provider_alias"):
        return _render_method_choice(request, options, data)
    decision = throttle.check_and_count(request, data.get("email", ""), options.under_attack)
    if not decision.allowed:
        return _render_form(request, options, values, None, decision.message, status=429)
    provider = get_provider(data["provider_alias"])
    try:
        subject, url = start_checkout(data, provider, get_language(), request.build_absolute_uri)
    except ProviderError as exc:
        # 503 unreachable, 504 too slow: the same page with the choices kept, and a hint
        # for whoever retries when to do it.
        response = _render_method_choice(request, options, data, message=exc.message,
                                         status=exc.status)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if data.get("email"):
        # Lets the thank-you page offer "manage your support" in this browser session.
        if not request.session.session_key:
            request.session.set_expiry(0)  # a browser-session cookie, never a lasting one
        selfservice.remember_checkout(request.session, subject.reference)
    return redirect(url)


def _render_method_choice(request, options, data, message="", status=200):
    risky = bool(data.get("risk"))
    methods = advice.order_methods(available_methods(options, data["frequency"]), risky)
    copy = advice.page_copy()
    context = {
        "data": data,
        "risk": risky,
        "copy": copy,
        "amount_display": format_money(data["amount_minor"], data["currency"]),
        "amount_major": major_string(data["amount_minor"], data["currency"]),
        "methods": methods,
        "method_notes": advice.method_notes(methods, copy),
        "frequency_label": Frequency(data["frequency"]).label,
        "change_url": reverse("support:contribute") + "?" + urlencode({
            "frequency": data["frequency"], "currency": data["currency"],
            "amount": major_string(data["amount_minor"], data["currency"]),
            **{k: data[k] for k in ("appeal", "variant") if data.get(k)},
            **({"risk": "1"} if risky else {}),
            **({} if data.get("discreet_choice") is None
               else {"discreet": "1" if data["discreet_choice"] else "0"}),
        }),
        "message": message,
        # Kept across a failed start, so that the retry finds the same contribution.
        "attempt": data.get("attempt") or new_attempt(),
    }
    return render(request, "support/choose_method.html", context, status=status)


def safety(request):
    """Staff's advice for readers for whom supporting us may be risky (or the default)."""
    return render(request, "support/safety.html", {"copy": advice.page_copy()})


def _subject_or_404(reference):
    subject = find_subject(reference)
    if subject is None:
        raise Http404
    return subject


def _provider_or_404(subject, accepts):
    """The subject's provider if `accepts(provider)`; a provider no longer configured,
    or one of another kind, is a page that does not exist."""
    try:
        provider = get_provider(subject.provider)
    except KeyError as exc:
        raise Http404 from exc
    if not accepts(provider):
        raise Http404
    return provider


def thanks(request, reference):
    """Where the provider returns the reader. Reads state; never changes it."""
    subject = _subject_or_404(reference)
    confirmed = subject.status in {Contribution.Status.PAID, Pledge.Status.ACTIVE}
    can_manage = confirmed and selfservice.checkout_supporter_index(
        request.session, subject) is not None
    context = {
        "can_manage": can_manage,
        "has_email": bool(subject.checkout_email_index
                          or (subject.supporter_id and subject.supporter.email_index)),
        "subject": subject,
        "frequency": subject.frequency,
        "amount_display": format_money(subject.amount_minor, subject.currency),
        "confirmed": confirmed,
        # The provider saw the payment and waits for it to settle (a crypto payment's
        # confirmations on its network, a bank debit's days).
        "processing": not confirmed and subject.status == Contribution.Status.PENDING
        and bool(getattr(subject, "payment_ref", "")),
        "is_pledge": subject.recurring,
        "contribution": subject,
    }
    return render(request, "support/thanks.html", context)


def thanks_manage(request, reference):
    """The thank-you page's "manage your support" button: signs this browser session in
    as the supporter who just paid, once, within the hour after checkout."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    subject = _subject_or_404(reference)
    confirmed = subject.status in {Contribution.Status.PAID, Pledge.Status.ACTIVE}
    index = selfservice.checkout_supporter_index(request.session, subject) if confirmed else None
    if index is None:
        # Too late, another browser, or not confirmed yet: the e-mailed link still works.
        return redirect("support:manage")
    selfservice.forget_checkout(request.session, reference)
    selfservice.sign_in(request.session, index)
    return redirect("support:manage_account")


def cancel(request, reference):
    """The reader left the provider's checkout: offer the same choices again."""
    subject = _subject_or_404(reference)
    options = _options(request)
    values = _choices_from({
        "frequency": subject.frequency, "currency": subject.currency,
        "amount": major_string(subject.amount_minor, subject.currency),
        "appeal": subject.appeal, "variant": subject.variant,
    }, options)
    message = _("Your payment was not completed and nothing was charged. "
                "Your choices are kept below if you want to try again.")
    return _render_form(request, options, values, None, message)


def bank_transfer(request, reference):
    subject = _subject_or_404(reference)
    _provider_or_404(subject, lambda provider: provider.manual)
    context = {
        "subject": subject,
        "options": _options(request),
        "amount_display": format_money(subject.amount_minor, subject.currency),
    }
    return render(request, "support/bank_transfer.html", context)


def demo_checkout(request, reference):
    """The demo provider's checkout: a simulation where nothing real is charged."""
    subject = _subject_or_404(reference)
    provider = _provider_or_404(
        subject, lambda provider: isinstance(provider, DemoProvider | DemoBTCPayProvider))
    message = ""
    period = _demo_period(request, subject, provider)
    if period:
        # A later period of a demo crypto plan, from its reminder's link.
        if request.method == "POST" and request.POST.get("action") == "pay":
            provider.complete(subject, period=period)
            return redirect("support:thanks", reference=subject.reference)
    elif request.method == "POST" and subject.status in {"pending", "failed"}:
        action = request.POST.get("action")
        if action == "pay":
            provider.complete(subject)
            return redirect("support:thanks", reference=subject.reference)
        if action == "abandon":
            provider.abandon(subject)
            return redirect("support:cancel", reference=subject.reference)
        if action == "decline":
            provider.decline(subject)
            message = (_("The payment was invalid (simulated). Nothing was received.")
                       if isinstance(provider, DemoBTCPayProvider)
                       else _("Your card was declined (simulated). Nothing was charged."))
    context = {
        "subject": subject,
        "amount_display": format_money(subject.amount_minor, subject.currency),
        "frequency_label": Frequency(subject.frequency).label,
        "done": subject.status not in {"pending", "failed"} and not period,
        "message": message,
        "crypto": isinstance(provider, DemoBTCPayProvider),
        "period": period,
    }
    return render(request, "support/demo_checkout.html", context)


def _demo_period(request, subject, provider):
    """The period (1, 2, …) a demo crypto plan's reminder asks to pay, if it is the one
    due now; 0 for the checkout itself. A paid or past period is refused (404)."""
    from .btcpay_plans import OPEN, plan_position

    raw = request.GET.get("period") or request.POST.get("period") or "0"
    if raw == "0":
        return 0
    if not (isinstance(provider, DemoBTCPayProvider) and subject.recurring
            and subject.status in OPEN and subject.activated_at):
        raise Http404
    try:
        period = int(raw)
    except ValueError as exc:
        raise Http404 from exc
    if period != plan_position(subject, provider, timezone.now()).period:
        raise Http404
    return period


def demo_card_update(request, reference):
    """The demo provider's "update your card" page: a simulation, like its checkout."""
    pledge = Pledge.objects.filter(reference=reference).first()
    if pledge is None:
        raise Http404
    _provider_or_404(pledge, lambda provider: isinstance(provider, DemoProvider))
    back = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host(),
                                                                 *_site_hosts()}):
        back = reverse("support:manage")
    if request.method == "POST":
        return redirect(back)
    return render(request, "support/demo_card.html", {"pledge": pledge, "back": back})


def _site_hosts():
    from urllib.parse import urlsplit

    from django.conf import settings

    return {urlsplit(settings.SITE_URL).netloc}


# Machine and staff endpoints (root_urls) --------------------------------------

@csrf_exempt
def webhook(request, alias):
    """Provider events: 400 for anything unverified, 200 once recorded (or ignored)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    status, text = webhooks.receive(alias, request)
    return HttpResponse(text, status=status, content_type="text/plain")


@staff_member_required
def staff_transfer_received(request, reference):
    """Minimal staff action: confirm a bank transfer arrived (writes the ledger)."""
    if not request.user.has_perm("support.change_contribution"):
        raise Http404
    subject = Contribution.objects.filter(reference=reference).first()
    if subject is None:
        raise Http404
    _provider_or_404(subject, lambda provider: provider.manual)
    done = False
    if request.method == "POST":
        mark_transfer_received(subject, staff_user=request.user)
        subject.refresh_from_db()
        done = True
    return render(request, "support/staff_transfer.html", {
        "subject": subject, "done": done,
        "amount_display": format_money(subject.amount_minor, subject.currency),
    })


@staff_member_required
def staff_demo_renewal(request, reference):
    """Staff (and tests) move a demo plan through time: a renewal, or a failed one."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    pledge = Pledge.objects.filter(reference=reference).first()
    if pledge is None:
        raise Http404
    provider = _provider_or_404(pledge, lambda provider: isinstance(provider, DemoProvider))
    provider.simulate_renewal(pledge, fail=request.POST.get("outcome") == "fail")
    pledge.refresh_from_db()
    return HttpResponse(pledge.status, content_type="text/plain")
