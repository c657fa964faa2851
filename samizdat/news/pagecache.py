"""Cache-Control for every response, and a full-page cache for anonymous readers.

An anonymous reader's page is the same for everyone, so a shared cache (nginx,
a CDN) may keep it: it gets `public, max-age, s-maxage`. Staff (who carry a
session cookie), the admin, previews and any response that sets a cookie get
`private, no-store` instead, so no shared cache ever stores them.

For a host without a CDN the middleware also keeps those public pages in
Django's cache (SAMIZDAT_PAGE_CACHE, on by default). Entries live under two
tokens: the site's generation, which a site-wide change (navigation, a
setting, a snippet, moving a page) replaces, dropping every page at once in
every process that shares the cache; and one per path, which publishing,
unpublishing or deleting an article replaces for the URLs it affects only
(affected.py, signal_handlers.py).
"""

import hashlib

from django.conf import settings
from django.http import HttpResponse
from django.utils.cache import cc_delim_re, patch_cache_control
from django.utils.translation import get_language_from_path

from .cachetokens import (  # noqa: F401 - the page cache's API, used by tests and handlers
    GENERATION_KEY,
    current_generation,
    forget_paths,
    memo,
    new_generation,
    page_cache,
    path_key,
    path_version,
)

PUBLIC_STATUSES = {200, 203, 204, 301, 404, 410}
# Vary values that do not split what a cookie-less reader gets: the language
# comes from the path, and a compressing proxy handles encodings itself.
HARMLESS_VARY = {"cookie", "accept-language", "accept-encoding"}
MAX_QUERY_LENGTH = 512
CACHE_HEADER = "X-Page-Cache"
MISSED = "samizdat.page_cache_missed"  # WSGI environ key (no HTTP header can set it)


def admin_prefix():
    return f"/{settings.WAGTAIL_ADMIN_PATH}/"


def is_staff_request(request):
    """Staff sign in; readers never get a session, so its cookie marks staff."""
    return settings.SESSION_COOKIE_NAME in request.COOKIES


def is_dummy(request):
    """Wagtail's previews and moderation views run the middleware on a fake
    request for the page's public URL: never serve or store those."""
    return getattr(request, "is_dummy", False) or getattr(request, "is_preview", False)


def in_private_namespace(request):
    """Pages about one reader's contribution (support:thanks, …) are never shared."""
    match = getattr(request, "resolver_match", None)
    private = set(getattr(settings, "SAMIZDAT_PAGE_CACHE_PRIVATE_NAMESPACES", ()))
    return bool(match and private.intersection(match.namespaces))


def is_private(request, response):
    return (
        request.path_info.startswith(admin_prefix())
        or in_private_namespace(request)
        or is_staff_request(request)
        or is_dummy(request)
        or bool(response.cookies)
    )


def set_cache_control(request, response):
    """Public for anonymous GETs, private/no-store for everything personal.

    Returns True when it made the response public itself (a view that sets
    its own Cache-Control, like a feed or a JSON endpoint, keeps it).
    """
    if request.method not in ("GET", "HEAD"):
        return False
    if is_private(request, response):
        current = response.get("Cache-Control", "").lower()
        if "private" not in current and "no-store" not in current:
            response.headers.pop("Cache-Control", None)
            patch_cache_control(response, private=True, no_store=True)
        return False
    made_public = False
    if response.status_code in PUBLIC_STATUSES and not response.has_header("Cache-Control"):
        made_public = True
        patch_cache_control(
            response,
            public=True,
            max_age=settings.SAMIZDAT_PAGE_BROWSER_SECONDS,
            s_maxage=settings.SAMIZDAT_PAGE_CACHE_SECONDS,
        )
    if "public" in response.get("Cache-Control", "") and response.has_header("Vary"):
        # The language is in the path (English unprefixed), never negotiated,
        # so a shared cache need not keep one copy per Accept-Language.
        vary = [v for v in cc_delim_re.split(response["Vary"]) if v.lower() != "accept-language"]
        if vary:
            response["Vary"] = ", ".join(vary)
        else:
            del response["Vary"]
    return made_public


def can_use_cache(request):
    return (
        getattr(settings, "SAMIZDAT_PAGE_CACHE", True)
        and request.method == "GET"
        and not is_dummy(request)
        and not request.path_info.startswith(admin_prefix())
        and not is_staff_request(request)
        and "messages" not in request.COOKIES
        and len(request.META.get("QUERY_STRING", "")) <= MAX_QUERY_LENGTH
    )


def cache_key(request, generation, version=None):
    if version is None:
        version = path_version(page_cache(), request.path)
    language = get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    raw = "|".join(
        (request.scheme, request.get_host(), request.path, request.META.get("QUERY_STRING", ""),
         language)
    )
    return f"samizdat:page:{generation}:{version}:{hashlib.sha256(raw.encode()).hexdigest()}"


def is_storable(response):
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    control = response.get("Cache-Control", "")
    if "public" not in control or "no-store" in control:
        return False
    vary = {v.lower() for v in cc_delim_re.split(response.get("Vary", "")) if v}
    return vary <= HARMLESS_VARY


def current_key(request, cache):
    """(the page's key under the current tokens, generation, path version): one round
    trip to the cache for both tokens. Raises DisallowedHost for a host we do not serve."""
    own_key = path_key(request.path)
    tokens = memo.get_many(cache, [GENERATION_KEY, own_key])  # one round trip, or none
    generation = tokens.get(GENERATION_KEY) or current_generation(cache)
    version = tokens.get(own_key) or path_version(cache, request.path)
    return cache_key(request, generation, version), generation, version


def stored_response(stored):
    status, headers, content = stored
    response = HttpResponse(content, status=status, headers=headers)
    response[CACHE_HEADER] = "hit"
    return response


def look_up(request, cache, lookup=None):
    """(the stored page as a response or None, (its key, generation, path version)).

    The one look-up of a stored page, for this middleware and for the hit path in
    front of Django (hitpath.py); the caller has checked can_use_cache(request).
    `lookup`: current_key's answer when the caller has it already.
    """
    lookup = lookup or current_key(request, cache)
    stored = cache.get(lookup[0])
    if stored is None:
        return None, lookup
    return stored_response(stored), lookup


class PageCacheMiddleware:
    """Serve and store anonymous pages; set Cache-Control on every response.

    Placed right after SecurityMiddleware, so a hit skips sessions, CSRF and
    the view, while the security headers are still added to it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not can_use_cache(request):
            response = self.get_response(request)
            set_cache_control(request, response)
            return response
        cache = page_cache()
        # The hit path in front of Django (hitpath.py) looked up and missed already.
        missed = request.META.pop(MISSED, None)
        response, (key, generation, version) = (None, missed) if missed else look_up(
            request, cache)
        if response is not None:
            return response
        own_key = path_key(request.path)
        response = self.get_response(request)
        # Only pages left to our policy are stored: endpoints with their own
        # Cache-Control (feeds, JSON) decide their own freshness.
        if (
            set_cache_control(request, response)
            and is_storable(response)
            # Content changed while this page was rendered (a setting created
            # on first use, a publish): it may be stale already.
            and cache.get_many([GENERATION_KEY, own_key]) == {GENERATION_KEY: generation,
                                                               own_key: version}
        ):
            headers = [(k, v) for k, v in response.items() if k != CACHE_HEADER]
            cache.set(key, (response.status_code, headers, response.content),
                      settings.SAMIZDAT_PAGE_CACHE_SECONDS)
            response[CACHE_HEADER] = "miss"
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Route a page request from the loader before Wagtail's serve view does
        (routing.py): the language is active by now, the view not yet called."""
        from wagtail.views import serve

        if view_func is serve and view_args and request.method in ("GET", "HEAD"):
            from .routing import prepare

            prepare(request, view_args[0])
        return None
