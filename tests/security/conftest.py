"""Fixtures for the security tests: staff users and a TOTP computed like a phone does."""

import pytest


def totp_now(device, offset=0):
    """The code an authenticator app shows for `device` (RFC 6238), computed here."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def staff_password():
    return "correct horse battery staple 42"


@pytest.fixture
def make_staff(db, staff_password):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    def make(username="reporter", superuser=False, groups=()):
        from django.contrib.auth.models import Group

        User = get_user_model()
        if superuser:
            user = User.objects.create_superuser(username, f"{username}@example.org",
                                                 staff_password)
        else:
            user = User.objects.create_user(username, f"{username}@example.org", staff_password)
            user.user_permissions.add(Permission.objects.get(codename="access_admin"))
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        return user

    return make
