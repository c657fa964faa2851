"""Who needs a second factor, and the enrolment/recovery-code rules.

Built on django-otp: a TOTP device (an authenticator app), passkeys
(django-otp-webauthn: a security key or a device's screen lock) and a static
device holding single-use recovery codes. Views stay thin and call these.
"""

from django.conf import settings
from django.db import transaction
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.utils import get_credential_model

TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def requires_two_factor(user):
    """Superusers, SAMIZDAT_2FA_REQUIRED_GROUPS members (absent groups are fine),
    holders of SAMIZDAT_2FA_REQUIRED_PERMISSIONS, or everyone when required for all."""
    if not user.is_authenticated:
        return False
    if settings.SAMIZDAT_2FA_REQUIRED_FOR_ALL or user.is_superuser:
        return True
    groups = settings.SAMIZDAT_2FA_REQUIRED_GROUPS
    if groups and user.groups.filter(name__in=groups).exists():
        return True
    return any(user.has_perm(perm) for perm in settings.SAMIZDAT_2FA_REQUIRED_PERMISSIONS)


def has_second_factor(user):
    return user_has_device(user, confirmed=True)


def passed_admin_sign_in(user):
    """True when the admin would let this session in: the second factor was passed, or
    the user has none and needs none. Staff-only features outside the admin (the
    appeals preview) use the same rule, so a stolen password alone opens nothing."""
    if user is None or not user.is_authenticated:
        return False
    is_verified = getattr(user, "is_verified", None)  # set by django-otp's OTPMiddleware
    if is_verified is not None and is_verified():
        return True
    return not has_second_factor(user) and not requires_two_factor(user)


def pending_totp_device(user):
    """The unconfirmed authenticator being set up (one at a time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


@transaction.atomic
def confirm_totp_device(device, token):
    """Confirm `device` if `token` is its current code; it then replaces older ones."""
    if not device.verify_token(token):
        return False
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return True


@transaction.atomic
def issue_recovery_codes(user, count=None):
    """Replace the user's recovery codes with fresh ones and return them (shown once)."""
    count = count or settings.SAMIZDAT_2FA_RECOVERY_CODES
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def remaining_recovery_codes(user):
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def passkeys(user):
    """The user's passkeys, oldest first."""
    return get_credential_model().objects.filter(user=user, confirmed=True).order_by(
        "created_at", "pk")


def has_passkey(user):
    return passkeys(user).exists()


def remove_passkey(user, pk):
    """Delete one of the user's own passkeys; False if there is no such passkey."""
    deleted, _rows = get_credential_model().objects.filter(user=user, pk=pk).delete()
    return bool(deleted)


def first_recovery_codes(user):
    """Recovery codes for someone whose first second factor is a passkey (shown once), or
    None if they were given codes before: a lost key must not lock them out."""
    if StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).exists():
        return None
    return issue_recovery_codes(user)
