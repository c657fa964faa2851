"""The Permissions-Policy value: every powerful feature switched off.

A news site needs none of them; an injected script or a framed page must not
get them either. Features the browser does not know are ignored by it. The
admin alone may use passkeys (ADMIN_FEATURES, our own origin only).
"""

DENIED_FEATURES = (
    "accelerometer",
    "ambient-light-sensor",
    "autoplay",
    "battery",
    "bluetooth",
    "browsing-topics",
    "camera",
    "display-capture",
    "document-domain",
    "encrypted-media",
    "gamepad",
    "geolocation",
    "gyroscope",
    "hid",
    "idle-detection",
    "interest-cohort",
    "join-ad-interest-group",
    "local-fonts",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "private-state-token-issuance",
    "private-state-token-redemption",
    "publickey-credentials-create",
    "publickey-credentials-get",
    "run-ad-auction",
    "screen-wake-lock",
    "serial",
    "storage-access",
    "usb",
    "xr-spatial-tracking",
)


def permissions_policy(denied=DENIED_FEATURES, allow_self=()):
    """Header value: `feature=()` denies it everywhere, `feature=(self)` allows our origin."""
    parts = [f"{feature}=()" for feature in denied if feature not in allow_self]
    parts += [f"{feature}=(self)" for feature in allow_self]
    return ", ".join(parts)


# Staff register and use passkeys (WebAuthn) in the admin's two-factor pages.
ADMIN_FEATURES = ("publickey-credentials-create", "publickey-credentials-get")
