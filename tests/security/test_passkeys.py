"""Passkeys as a second factor: who may add one, listing and removing them."""

import json

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from samizdat.users.testing import login_with_second_factor

from .test_two_factor import sign_in

ADMIN = f"/{settings.WAGTAIL_ADMIN_PATH}/"
API = f"{ADMIN}2fa/passkeys/api/"


def passkey(user, number=1):
    """A stored credential (the browser ceremony is in test_passkeys_browser.py)."""
    return WebAuthnCredential.objects.create(
        user=user, name="", confirmed=True, credential_id=bytes([number]) * 16,
        public_key=b"\x01" * 77, sign_count=0)


def test_a_password_alone_cannot_add_a_passkey_to_an_account_with_a_second_factor(
        client, make_staff, staff_password):
    """Otherwise a stolen password would become a full sign-in: add a passkey, use it."""
    user = make_staff("chief", superuser=True)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    sign_in(client, user, staff_password)
    begin = client.post(f"{API}registration/begin/", "{}", content_type="application/json")
    assert begin.status_code == 403
    assert json.loads(begin.content)["code"] == "user_not_verified"
    complete = client.post(f"{API}registration/complete/", "{}",
                           content_type="application/json")
    assert complete.status_code == 403
    assert not WebAuthnCredential.objects.exists()
    assert client.get(ADMIN).status_code == 302  # still sent to the second step


def test_nobody_signed_out_reaches_the_passkey_api(client, db):
    for url in ("registration/begin/", "authentication/begin/"):
        response = client.post(f"{API}{url}", "{}", content_type="application/json")
        assert response.status_code == 302, url  # to the sign-in page
        assert "/login/" in response["Location"]


def test_a_passkey_is_a_second_factor_the_admin_asks_for(client, make_staff, staff_password):
    user = make_staff("chief", superuser=True)
    passkey(user)
    sign_in(client, user, staff_password)
    response = client.get(ADMIN)
    assert response["Location"].startswith(f"{ADMIN}2fa/verify/")
    html = client.get(response["Location"]).content.decode()
    assert 'id="passkey-verification-button"' in html
    assert "otp_webauthn_auth.js" in html
    # No authenticator app: the other way in is a recovery code.
    assert "No passkey at hand? Type one of your recovery codes" in html
    assert "Open your authenticator app" not in html


def test_staff_see_their_passkeys_and_remove_one(client, make_staff):
    user = make_staff("chief", superuser=True)
    other = make_staff("editor", superuser=True)
    keep, gone = passkey(user, 1), passkey(user, 2)
    foreign = passkey(other, 3)
    login_with_second_factor(client, user)
    html = client.get(f"{ADMIN}2fa/").content.decode()
    assert html.count("Passkey added") == 2
    assert f"2fa/passkeys/{gone.pk}/remove/" in html
    assert 'id="passkey-register-button"' in html

    response = client.post(f"{ADMIN}2fa/passkeys/{gone.pk}/remove/")
    assert response.status_code == 302
    assert list(WebAuthnCredential.objects.filter(user=user)) == [keep]
    # Another person's passkey is not theirs to remove; a GET removes nothing.
    client.post(f"{ADMIN}2fa/passkeys/{foreign.pk}/remove/")
    assert client.get(f"{ADMIN}2fa/passkeys/{keep.pk}/remove/").status_code == 405
    assert WebAuthnCredential.objects.count() == 2


def test_removing_a_passkey_needs_the_second_factor_passed(client, make_staff, staff_password):
    user = make_staff("chief", superuser=True)
    key = passkey(user)
    sign_in(client, user, staff_password)
    response = client.post(f"{ADMIN}2fa/passkeys/{key.pk}/remove/")
    assert response["Location"].startswith(f"{ADMIN}2fa/verify/")
    assert WebAuthnCredential.objects.filter(pk=key.pk).exists()


def test_reader_pages_may_not_use_passkeys_but_the_admin_may(client, make_staff):
    login_with_second_factor(client, make_staff("chief", superuser=True))
    admin = client.get(f"{ADMIN}2fa/")["Permissions-Policy"]
    assert "publickey-credentials-get=(self)" in admin
    reader = client.get("/privacy/")["Permissions-Policy"]
    assert "publickey-credentials-get=()" in reader


def test_passkey_messages_are_in_russian_for_staff_who_use_the_admin_in_russian(
        client, make_staff):
    from wagtail.users.models import UserProfile

    user = make_staff("chief", superuser=True)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "ru"
    profile.save()
    login_with_second_factor(client, user)
    catalog = client.get(f"{API}jsi18n/").content.decode("unicode_escape")
    assert "Ключ доступа зарегистрирован!" in catalog
    html = client.get(f"{ADMIN}2fa/").content.decode()
    assert "Добавить ключ доступа" in html
