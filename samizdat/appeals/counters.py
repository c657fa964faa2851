"""Anonymous per-day counters: (appeal, variant, day, kind) → count. Nothing else.

An event carries three values and no reader identifier; the server keeps no
log of it. Floods are capped per counter and per minute in the cache, so a
burst can inflate nothing but its own counter, and only up to the cap.
"""

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Appeal, DailyCount, EventKind

KINDS = set(EventKind.values)
VALID_IDS_CACHE_KEY = "appeals:valid-variants"


def rate_limit():
    """Events accepted per counter per minute (APPEALS_EVENTS_PER_MINUTE)."""
    return getattr(settings, "APPEALS_EVENTS_PER_MINUTE", 600)


def valid_variants():
    """{appeal id: {variant keys}} of appeals that exist, cached for a minute."""
    known = cache.get(VALID_IDS_CACHE_KEY)
    if known is None:
        known = {}
        for appeal in Appeal.objects.prefetch_related("variants"):
            known[appeal.pk] = {v.key for v in appeal.variants.all()}
        cache.set(VALID_IDS_CACHE_KEY, known, 60)
    return known


class Rejected(ValueError):
    """An event that is not counted; the message says why (for the client only)."""


def parse_event(data):
    """Validate {"appeal", "variant", "kind"} → (appeal id, variant, kind)."""
    if not isinstance(data, dict):
        raise Rejected("expected an object")
    appeal, variant, kind = data.get("appeal"), data.get("variant"), data.get("kind")
    if kind not in KINDS:
        raise Rejected("unknown kind")
    try:
        appeal_id = int(str(appeal))
    except (TypeError, ValueError):
        raise Rejected("bad appeal") from None
    if not isinstance(variant, str) or variant not in valid_variants().get(appeal_id, ()):
        raise Rejected("unknown appeal or variant")
    return appeal_id, variant, kind


def under_cap(appeal_id, variant, kind, now):
    key = f"appeals:rate:{appeal_id}:{variant}:{kind}:{now:%Y%m%d%H%M}"
    cache.add(key, 0, 120)
    try:
        count = cache.incr(key)
    except ValueError:
        return True
    return count <= rate_limit()


def record(appeal_id, variant, kind, now=None):
    """Add one to the day's counter with an atomic F() increment."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    if not under_cap(appeal_id, variant, kind, now):
        return False
    lookup = {"appeal_id": appeal_id, "variant": variant, "day": day, "kind": kind}
    if DailyCount.objects.filter(**lookup).update(count=F("count") + 1):
        return True
    try:
        with transaction.atomic():
            DailyCount.objects.create(count=1, **lookup)
    except IntegrityError:
        DailyCount.objects.filter(**lookup).update(count=F("count") + 1)
    return True
