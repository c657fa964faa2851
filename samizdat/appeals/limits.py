"""How many appeal events one client may add: a flood from one browser must not
decide an A/B test.

The per-counter cap (APPEALS_EVENTS_PER_MINUTE, counters.py) stops a flood from
filling the table, but one client sending 600 conversions a minute still picked
the winning variant. Each client now counts at most a few events of each kind per
appeal per hour (APPEALS_CLIENT_LIMITS); beyond that its events are refused (429)
and counted nowhere. The client is its address hashed with a secret, kept only
in the cache for the window (support/throttle.py), never stored or logged;
limits are sized so readers sharing a Tor exit or a VPN address still count.
"""

from django.conf import settings

DEFAULT_LIMITS = {  # kind: (events, seconds) per client and appeal
    "view": (200, 3600),
    "close": (30, 3600),
    "remind": (10, 3600),
    "click": (30, 3600),
    "conversion": (5, 3600),
}


def client_may_count(request, appeal_id, kind):
    from samizdat.support.api import allow, client_key

    limits = {**DEFAULT_LIMITS, **getattr(settings, "APPEALS_CLIENT_LIMITS", {})}
    maximum, window = limits.get(kind, (30, 3600))
    return allow(f"appeal-event:{appeal_id}:{kind}", client_key(request), maximum, window)
