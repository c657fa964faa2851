"""For tests: sign a test client in as a staff user who passed the second factor.

Superusers and Fundraising staff are sent to the two-factor step before the
admin (samizdat/users/middleware.py); tests that use `client.force_login`
for such users call this instead.
"""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def login_with_second_factor(client, user):
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name="test phone", defaults={"confirmed": True}
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
