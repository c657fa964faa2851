"""HMAC signatures for events Samizdat signs itself (demo provider), Stripe-style.

Header: "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>'>".
"""

import hashlib
import hmac
import time

from .base import InvalidEvent

__all__ = ["sign", "verify"]


def sign(body, secret, timestamp=None):
    timestamp = int(time.time() if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(body, header, secret, tolerance=300):
    if not header:
        raise InvalidEvent("missing signature")
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as exc:
        raise InvalidEvent("malformed signature header") from exc
    if abs(time.time() - timestamp) > tolerance:
        raise InvalidEvent("signature too old")
    expected = sign(body, secret, timestamp).split("v1=", 1)[1]
    # As bytes: compare_digest refuses non-ASCII str (a forged header may carry any).
    if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape")):
        raise InvalidEvent("bad signature")
