"""Thin views for two-factor sign-in inside the Wagtail admin."""

import base64

import segno
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import two_factor
from .forms import TokenForm


def _next_url(request):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return reverse("wagtailadmin_home")


def verify(request):
    """Second step of sign-in: a TOTP code or a single-use recovery code."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not two_factor.has_second_factor(user):
        return redirect(f"{reverse('samizdat_2fa_setup')}?next={_next_url(request)}")
    form = TokenForm(request.POST or None)
    context = {"form": form, "next": _next_url(request),
               "passkey": two_factor.has_passkey(user),
               "app": TOTPDevice.objects.filter(user=user, confirmed=True).exists()}
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            if isinstance(device, StaticDevice):
                left = two_factor.remaining_recovery_codes(user)
                messages.warning(request, _("You used a recovery code; %(left)s remain.")
                                 % {"left": left})
            return redirect(_next_url(request))
        form.add_error("token", _("That code is not valid. Try the current code."))
    return render(request, "users/two_factor_verify.html", context)


def setup(request):
    """Enrol an authenticator app; shows the recovery codes once at the end."""
    user = request.user
    if two_factor.has_second_factor(user) and not user.is_verified():
        return redirect(f"{reverse('samizdat_2fa_verify')}?next={_next_url(request)}")
    device = two_factor.pending_totp_device(user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.confirm_totp_device(device, form.cleaned_data["token"]):
            otp_login(request, device)
            codes = two_factor.issue_recovery_codes(user)
            return render(request, "users/two_factor_codes.html",
                          {"codes": codes, "next": _next_url(request)})
        form.add_error("token", _("That code is not valid. Check the clock on your phone "
                                  "and try the current code."))
    qr = segno.make(device.config_url, error="m")
    return render(request, "users/two_factor_setup.html", {
        "form": form,
        "next": _next_url(request),
        "qr_svg": qr.svg_inline(scale=4, dark="#000", light="#fff", omitsize=False),
        "secret": _base32(device.bin_key),
    })


def manage(request):
    """Status of the second factor, with ways to renew it."""
    user = request.user
    if two_factor.has_second_factor(user) and not user.is_verified():
        return redirect(f"{reverse('samizdat_2fa_verify')}?next={request.path}")
    return render(request, "users/two_factor_manage.html", {
        "enrolled": two_factor.has_second_factor(user),
        "required": two_factor.requires_two_factor(user),
        "codes_left": two_factor.remaining_recovery_codes(user),
        "passkeys": two_factor.passkeys(user),
        "has_app": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
    })


def passkey_added(request):
    """Where the page goes once the browser registered a passkey (the library's API did
    the work): the recovery codes if this was the first second factor, else back."""
    user = request.user
    if not user.is_verified():
        return redirect(f"{reverse('samizdat_2fa_verify')}?next={_next_url(request)}")
    codes = two_factor.first_recovery_codes(user)
    if codes:
        return render(request, "users/two_factor_codes.html",
                      {"codes": codes, "next": _next_url(request)})
    messages.success(request, _("Passkey added."))
    return redirect(_next_url(request))


@require_POST
def remove_passkey(request, pk):
    user = request.user
    if not user.is_verified():
        return redirect(f"{reverse('samizdat_2fa_verify')}?next={reverse('samizdat_2fa')}")
    if two_factor.remove_passkey(user, pk):
        messages.success(request, _("Passkey removed."))
    return redirect("samizdat_2fa")


@require_POST
def new_recovery_codes(request):
    user = request.user
    if not user.is_verified():
        return redirect(f"{reverse('samizdat_2fa_verify')}?next={reverse('samizdat_2fa')}")
    codes = two_factor.issue_recovery_codes(user)
    return render(request, "users/two_factor_codes.html",
                  {"codes": codes, "next": reverse("samizdat_2fa")})


def _base32(key):
    secret = base64.b32encode(key).decode("ascii").rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
