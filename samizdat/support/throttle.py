"""Card-testing defence: limits on checkout starts per client, per e-mail and site-wide.

A client is its IP address hashed with a secret, kept only in the cache for
the length of the window: no address is ever written to the database or a
log. Limits are sized so that a shared address (a Tor exit, a VPN, a
newsroom office) is not locked out by its readers' ordinary single
attempts; the "under attack" switch selects tighter ones.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

__all__ = ["Decision", "allow", "check_and_count", "client_address", "client_key",
           "keyed"]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    scope: str = ""

    @property
    def message(self):
        if self.allowed:
            return ""
        return _(
            "Too many contributions are being started right now. Nothing was charged. "
            "Please wait a few minutes and try again."
        )


def client_address(request):
    """The reader's address, trusting X-Forwarded-For only from configured proxies."""
    proxies = getattr(settings, "SAMIZDAT_TRUSTED_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def client_key(request):
    return salted_hmac("samizdat.support.throttle", client_address(request)).hexdigest()[:32]


def _email_key(email):
    return salted_hmac("samizdat.support.throttle.email", email.strip().lower()).hexdigest()[:32]


def _limits(under_attack):
    name = "SAMIZDAT_CHECKOUT_LIMITS_UNDER_ATTACK" if under_attack else "SAMIZDAT_CHECKOUT_LIMITS"
    return getattr(settings, name)


def _count(scope, key, window):
    cache_key = f"support:throttle:{scope}:{key}"
    if cache.add(cache_key, 1, timeout=window):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window)
        return 1


def _peek(scope, key):
    return cache.get(f"support:throttle:{scope}:{key}", 0)


def check_and_count(request, email="", under_attack=False):
    """Decide whether this checkout start may go ahead, and count it if so."""
    limits = _limits(under_attack)
    keys = [("global", "all"), ("client", client_key(request))]
    if email:
        keys.append(("email", _email_key(email)))
    for scope, key in keys:
        maximum, _window = limits[scope]
        if _peek(scope, key) >= maximum:
            return Decision(False, scope)
    for scope, key in keys:
        _count(scope, key, limits[scope][1])
    return Decision(True)


def count_suspicious(request):
    """A honeypot hit counts against its client (never site-wide, so bots cannot
    spend the readers' global budget)."""
    limits = _limits(False)
    _count("client", client_key(request), limits["client"][1])


def keyed(purpose, value):
    """A keyed hash of an address or other personal value, for a cache key."""
    return salted_hmac(f"samizdat.throttle.{purpose}", value.strip().lower()).hexdigest()[:32]


def allow(scope, key, maximum, window):
    """Count one use of `key` in `scope`: False, and nothing counted, once `maximum`
    uses fell in the last `window` seconds (for other apps' forms, e.g. reminders)."""
    if _peek(scope, key) >= maximum:
        return False
    _count(scope, key, window)
    return True
