"""The published mirror list: who is active, the onion address, mirrors.json."""

import datetime
import json
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max

from .models import Mirror

ONION_CACHE_KEY = "samizdat:mirrors:onion-url"


def active_mirrors():
    return list(Mirror.objects.active().order_by("kind", "created_at", "pk"))


def onion_url():
    """The onion address readers on Tor are sent to, or "" when none is set.

    SAMIZDAT_ONION_URL wins; otherwise the oldest active onion mirror.
    """
    configured = getattr(settings, "SAMIZDAT_ONION_URL", "")
    if configured:
        return configured.rstrip("/")
    value = cache.get(ONION_CACHE_KEY)
    if value is None:
        mirror = Mirror.objects.active().filter(kind=Mirror.Kind.ONION).order_by(
            "created_at", "pk").first()
        value = mirror.url.rstrip("/") if mirror else ""
        cache.set(ONION_CACHE_KEY, value, 300)
    return value


def forget_onion_url():
    cache.delete(ONION_CACHE_KEY)


def _iso(moment):
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def last_change():
    """The newest change among mirrors and published pages: the list's data date."""
    from wagtail.models import Page

    moments = [
        Mirror.objects.aggregate(m=Max("updated_at"))["m"],
        Page.objects.live().aggregate(m=Max("last_published_at"))["m"],
    ]
    moments = [m for m in moments if m is not None]
    return max(moments) if moments else datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def valid_until():
    """Derived from data, never from the clock, so that exports stay deterministic."""
    days = getattr(settings, "SAMIZDAT_MIRRORS_VALID_DAYS", 30)
    return last_change() + datetime.timedelta(days=days)


def mirrors_document():
    """mirrors.json in the Bypass Censorship extension's v2 format, plus valid_until."""
    alternatives = [
        {
            "proto": mirror.proto,
            "type": mirror.list_type,
            "created_at": _iso(mirror.created_at),
            "updated_at": _iso(mirror.updated_at),
            "url": mirror.url,
        }
        for mirror in active_mirrors()
    ]
    domain = urlsplit(settings.SITE_URL).hostname or ""
    if domain.startswith("www."):
        domain = domain[4:]
    return {
        "version": "2.0",
        "valid_until": _iso(valid_until()),
        "sites": [{"main_domain": domain, "available_alternatives": alternatives}],
    }


def mirrors_json_bytes():
    return (json.dumps(mirrors_document(), indent=2, sort_keys=True, ensure_ascii=False)
            + "\n").encode()
