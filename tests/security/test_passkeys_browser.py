"""Passkeys in a real Chromium, with its virtual authenticator (DevTools' WebAuthn domain)
standing in for a security key: enrol one as the first second factor, sign in with it,
add one next to an authenticator app."""

import pytest
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from samizdat.users.two_factor import issue_recovery_codes

from .conftest import totp_now

pytestmark = pytest.mark.browser

ADMIN = f"/{settings.WAGTAIL_ADMIN_PATH}/"


@pytest.fixture
def site(live_server, settings):
    # The live server answers at http://localhost:<port>: a secure context, and a host
    # name a passkey can be bound to.
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")
    return live_server.url


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    yield page
    context.close()


def password_step(page, site, user, password):
    page.goto(f"{site}{ADMIN}login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("form.login-form button[type=submit]")
    page.wait_for_load_state()


def sign_out(page, site):
    page.context.clear_cookies()
    page.goto(f"{site}{ADMIN}")
    assert "/login/" in page.url


def test_a_passkey_as_the_first_second_factor_then_signing_in_with_it(
        page, site, make_staff, staff_password):
    user = make_staff("chief", superuser=True)
    password_step(page, site, user, staff_password)
    assert f"{ADMIN}2fa/setup/" in page.url
    page.click("#passkey-register-button")

    # Enrolled: the recovery codes are shown once, then the admin opens.
    page.wait_for_url(f"**{ADMIN}2fa/passkeys/added/**")
    codes = page.locator("ul.recovery-codes code").all_inner_texts()
    assert len(codes) == settings.SAMIZDAT_2FA_RECOVERY_CODES
    assert StaticToken.objects.filter(device__user=user).count() == len(codes)
    page.click("text=I have saved them")
    page.wait_for_load_state()
    assert page.url == f"{site}{ADMIN}"
    credential = WebAuthnCredential.objects.get(user=user)
    assert credential.confirmed and not TOTPDevice.objects.filter(user=user, confirmed=True)

    sign_out(page, site)
    password_step(page, site, user, staff_password)
    assert f"{ADMIN}2fa/verify/" in page.url
    page.click("#passkey-verification-button")
    page.wait_for_url(f"{site}{ADMIN}")
    assert page.locator("main").count() == 1 and "/2fa/" not in page.url
    credential.refresh_from_db()
    assert credential.last_used_at is not None


def test_a_passkey_added_next_to_the_authenticator_app(page, site, make_staff, staff_password):
    user = make_staff("chief", superuser=True)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    codes = set(issue_recovery_codes(user))  # as the app's enrolment gave them
    password_step(page, site, user, staff_password)
    page.fill("input[name=token]", totp_now(device))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{site}{ADMIN}")

    page.goto(f"{site}{ADMIN}2fa/")
    with page.expect_navigation(url=f"{site}{ADMIN}2fa/"):
        page.click("#passkey-register-button")
    page.wait_for_selector("ul.passkeys li")
    assert "Passkey added" in page.locator(".messages").inner_text()
    assert page.locator("ul.passkeys li").count() == 1
    assert WebAuthnCredential.objects.filter(user=user).count() == 1
    # The recovery codes stay those saved before: none replaced unasked.
    assert set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
               ) == codes

    # Next time either factor works; the passkey is offered first.
    sign_out(page, site)
    password_step(page, site, user, staff_password)
    page.click("#passkey-verification-button")
    page.wait_for_url(f"{site}{ADMIN}")
