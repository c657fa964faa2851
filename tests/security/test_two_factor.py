"""Two-factor sign-in to the Wagtail admin: enrol, sign in, recover, who must use it."""

from django.conf import settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .conftest import totp_now

ADMIN = f"/{settings.WAGTAIL_ADMIN_PATH}/"


def sign_in(client, user, password):
    response = client.post(f"{ADMIN}login/", {"username": user.username, "password": password,
                                              "next": ADMIN})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


def confirmed_device(user):
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_superuser_must_set_up_a_second_factor_before_using_the_admin(
        client, make_staff, staff_password):
    user = make_staff("chief", superuser=True)
    sign_in(client, user, staff_password)
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{ADMIN}2fa/setup/")
    assert client.get(f"{ADMIN}pages/").status_code == 302


def test_enrolment_with_a_code_from_the_app_opens_the_admin_and_shows_recovery_codes(
        client, make_staff, staff_password):
    user = make_staff("chief", superuser=True)
    sign_in(client, user, staff_password)
    page = client.get(f"{ADMIN}2fa/setup/?next={ADMIN}")
    assert page.status_code == 200
    assert b"<svg" in page.content  # QR code drawn inline, no image request
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(f"{ADMIN}2fa/setup/", {"token": totp_now(device), "next": ADMIN})
    assert response.status_code == 200
    codes = StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    assert len(codes) == settings.SAMIZDAT_2FA_RECOVERY_CODES
    for code in codes:
        assert code in response.content.decode()
    assert TOTPDevice.objects.get(user=user).confirmed
    assert client.get(ADMIN).status_code == 200


def test_enrolment_refuses_a_wrong_code_and_changes_nothing(client, make_staff, staff_password):
    user = make_staff("chief", superuser=True)
    sign_in(client, user, staff_password)
    client.get(f"{ADMIN}2fa/setup/")
    response = client.post(f"{ADMIN}2fa/setup/", {"token": "000000"})
    assert response.status_code == 200
    assert "That code is not valid" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert not StaticToken.objects.filter(device__user=user).exists()
    assert client.get(ADMIN).status_code == 302


def test_sign_in_asks_for_the_current_code_and_accepts_it(
        client, make_staff, staff_password, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = make_staff("chief", superuser=True)
    device = confirmed_device(user)
    sign_in(client, user, staff_password)
    response = client.get(f"{ADMIN}pages/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{ADMIN}2fa/verify/")
    wrong = client.post(f"{ADMIN}2fa/verify/", {"token": "123456", "next": f"{ADMIN}pages/"})
    assert "That code is not valid" in wrong.content.decode()
    assert client.get(ADMIN).status_code == 302
    right = client.post(f"{ADMIN}2fa/verify/", {"token": totp_now(device),
                                                "next": f"{ADMIN}pages/"})
    assert right.status_code == 302
    assert right["Location"] == f"{ADMIN}pages/"
    assert client.get(ADMIN).status_code == 200


def test_a_code_cannot_be_replayed_in_another_session(client, make_staff, staff_password,
                                                      settings):
    from django.test import Client

    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = make_staff("chief", superuser=True)
    device = confirmed_device(user)
    code = totp_now(device)
    sign_in(client, user, staff_password)
    assert client.post(f"{ADMIN}2fa/verify/", {"token": code}).status_code == 302
    attacker = Client()
    sign_in(attacker, user, staff_password)
    replay = attacker.post(f"{ADMIN}2fa/verify/", {"token": code})
    assert replay.status_code == 200
    assert attacker.get(ADMIN).status_code == 302


def test_a_recovery_code_signs_in_once_only(client, make_staff, staff_password):
    from django.test import Client

    from samizdat.users.two_factor import issue_recovery_codes

    user = make_staff("chief", superuser=True)
    confirmed_device(user)
    code = issue_recovery_codes(user)[0]
    sign_in(client, user, staff_password)
    response = client.post(f"{ADMIN}2fa/verify/", {"token": code.upper(), "next": ADMIN})
    assert response.status_code == 302
    assert client.get(ADMIN).status_code == 200
    assert StaticToken.objects.filter(device__user=user).count() == 9

    second = Client()
    sign_in(second, user, staff_password)
    again = second.post(f"{ADMIN}2fa/verify/", {"token": code, "next": ADMIN})
    assert again.status_code == 200
    assert "That code is not valid" in again.content.decode()
    assert second.get(ADMIN).status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, make_staff, staff_password):
    from samizdat.users.two_factor import issue_recovery_codes

    user = make_staff("chief", superuser=True)
    device = confirmed_device(user)
    old = issue_recovery_codes(user)
    sign_in(client, user, staff_password)
    client.post(f"{ADMIN}2fa/verify/", {"token": totp_now(device)})
    response = client.post(f"{ADMIN}2fa/recovery-codes/")
    assert response.status_code == 200
    new = set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert len(new) == 10
    assert not new & set(old)


def test_fundraising_staff_must_use_a_second_factor(client, make_staff, staff_password):
    user = make_staff("fundraiser", groups=["Fundraising"])
    sign_in(client, user, staff_password)
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{ADMIN}2fa/setup/")


def test_other_staff_may_sign_in_with_a_password_when_not_required_for_all(
        client, make_staff, staff_password):
    user = make_staff("reporter", groups=["Reporter"])
    sign_in(client, user, staff_password)
    assert client.get(ADMIN).status_code == 200


def test_required_for_all_setting_forces_every_staff_member(
        client, make_staff, staff_password, settings):
    settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL = True
    user = make_staff("reporter", groups=["Reporter"])
    sign_in(client, user, staff_password)
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{ADMIN}2fa/setup/")


def test_staff_who_chose_a_second_factor_are_asked_for_it(client, make_staff, staff_password):
    user = make_staff("reporter")
    confirmed_device(user)
    sign_in(client, user, staff_password)
    assert client.get(ADMIN)["Location"].startswith(f"{ADMIN}2fa/verify/")


def test_required_group_that_does_not_exist_is_harmless(make_staff, settings):
    from django.contrib.auth.models import Group

    from samizdat.users.two_factor import requires_two_factor

    settings.SAMIZDAT_2FA_REQUIRED_GROUPS = ["Fundraising"]
    Group.objects.filter(name="Fundraising").delete()
    assert requires_two_factor(make_staff("reporter")) is False
    assert requires_two_factor(make_staff("chief", superuser=True)) is True


def test_a_required_permission_makes_its_holders_use_a_second_factor(make_staff, settings):
    from django.contrib.auth.models import Permission

    from samizdat.users.two_factor import requires_two_factor

    settings.SAMIZDAT_2FA_REQUIRED_PERMISSIONS = ["auth.change_group"]
    user = make_staff("admin-ish")
    assert requires_two_factor(user) is False
    user.user_permissions.add(Permission.objects.get(codename="change_group"))
    from django.contrib.auth import get_user_model

    assert requires_two_factor(get_user_model().objects.get(pk=user.pk)) is True


def test_verify_page_does_not_redirect_to_another_host(client, make_staff, staff_password,
                                                       settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = make_staff("chief", superuser=True)
    device = confirmed_device(user)
    sign_in(client, user, staff_password)
    response = client.post(f"{ADMIN}2fa/verify/", {"token": totp_now(device),
                                                   "next": "https://evil.example/"})
    assert response["Location"] == ADMIN


def test_test_helper_signs_in_past_the_second_factor(client, make_staff):
    from samizdat.users.testing import login_with_second_factor

    login_with_second_factor(client, make_staff("chief", superuser=True))
    assert client.get(ADMIN).status_code == 200
