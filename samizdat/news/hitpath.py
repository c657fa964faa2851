"""Page cache hits answered in front of Django's handler.

A hit in the in-app page cache (pagecache.py) used to travel the whole stack:
Django's handler, fourteen middleware, the URL resolver. `PageCacheHits` wraps
the WSGI application (samizdat/wsgi.py): for a request the page cache may answer
(`can_use_cache`: an anonymous GET, no session or messages cookie, not the admin)
it looks the page up with the middleware's own `look_up`, and on a hit runs only
the middleware listed before PageCacheMiddleware in settings.MIDDLEWARE (security
headers, CSP, Permissions-Policy, Onion-Location), the same code that adds them to
a hit on the full path, so the headers and body are the same. Everything else —
misses, staff, previews (never a GET from outside), POSTs, HEADs — goes to Django
unchanged; a miss hands its look-up on, so the middleware does not repeat it.

Each process also keeps the finished answers it served (status, headers after
the outer middleware, body as bytes) in a small in-memory LRU (`LocalPages`),
under the same key as the shared cache. The key holds the site's generation and
the path's token, read from the shared cache on every request (one round trip
for both), so publishing forgets a page in every process at once, as before;
only the page itself, its unpickling and the outer middleware are saved. A
local copy lives at most SAMIZDAT_PAGE_CACHE_LOCAL_SECONDS (10 s, as nginx's
micro-cache), so a page the shared cache let expire is re-read soon after.
"""

import threading
import time
import weakref
from collections import OrderedDict

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.core.signals import setting_changed
from django.urls import set_script_prefix
from django.utils.module_loading import import_string

from .pagecache import MISSED, can_use_cache, current_key, look_up, page_cache

MIDDLEWARE_NAME = "samizdat.news.pagecache.PageCacheMiddleware"


def _the_hit(request):
    return request._samizdat_hit


def outer_chain():
    """The middleware in front of the page cache, around a handler that returns the hit;
    None when the page cache middleware is not installed (then nothing is served here)."""
    names = list(settings.MIDDLEWARE)
    if MIDDLEWARE_NAME not in names:
        return None
    handler = convert_exception_to_response(_the_hit)
    for name in reversed(names[: names.index(MIDDLEWARE_NAME)]):
        handler = convert_exception_to_response(import_string(name)(handler))
    return handler


class LocalPages:
    """Finished answers by cache key, least recently used out first, within a byte
    budget; each for a few seconds at most. Shared by a process's threads."""

    def __init__(self, max_bytes, seconds):
        self.max_bytes, self.seconds = max_bytes, seconds
        self.entries = OrderedDict()  # key -> (expires, status, headers, body)
        self.size = 0
        self.lock = threading.Lock()
        _stores.add(self)

    def get(self, key):
        entry = self.entries.get(key)
        if entry is None:
            return None
        with self.lock:
            if entry[0] < time.monotonic():
                if self.entries.get(key) is entry:
                    del self.entries[key]
                    self.size -= len(entry[3])
                return None
            if key in self.entries:
                self.entries.move_to_end(key)
        return entry

    def put(self, key, status, headers, body):
        if self.seconds <= 0 or len(body) > self.max_bytes // 4:
            return
        entry = (time.monotonic() + self.seconds, status, headers, body)
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old[3])
            self.entries[key] = entry
            self.size += len(body)
            while self.size > self.max_bytes:
                _key, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped[3])

    def clear(self):
        with self.lock:
            self.entries.clear()
            self.size = 0


_stores = weakref.WeakSet()


def _forget_local_pages(**kwargs):
    """A changed setting (tests) may change what the outer middleware adds."""
    for store in list(_stores):
        store.clear()


setting_changed.connect(_forget_local_pages, dispatch_uid="samizdat.hitpath.local_pages")


def local_pages():
    page_seconds = settings.SAMIZDAT_PAGE_CACHE_SECONDS
    seconds = min(getattr(settings, "SAMIZDAT_PAGE_CACHE_LOCAL_SECONDS", 10), page_seconds)
    max_bytes = getattr(settings, "SAMIZDAT_PAGE_CACHE_LOCAL_BYTES", 32 * 1024 * 1024)
    return LocalPages(max_bytes, seconds)


class PageCacheHits:
    def __init__(self, application):
        self.application = application
        self.chain = outer_chain()
        self.local = local_pages()

    def __call__(self, environ, start_response):
        if self.chain is None or environ.get("REQUEST_METHOD") != "GET":
            return self.application(environ, start_response)
        set_script_prefix(get_script_name(environ))
        request = WSGIRequest(environ)
        if not can_use_cache(request):
            return self.application(environ, start_response)
        cache = page_cache()
        try:
            lookup = current_key(request, cache)
        except DisallowedHost:  # Django answers it (400), as without this wrapper
            return self.application(environ, start_response)
        key, generation, version = lookup
        local = self.local.get(key)
        if local is not None:
            _expires, status, headers, body = local
            start_response(status, list(headers))
            return [body]
        hit, lookup = look_up(request, cache, lookup)
        if hit is None:
            environ[MISSED] = lookup
            return self.application(environ, start_response)
        request._samizdat_hit = hit
        response = self.chain(request)
        status = f"{response.status_code} {response.reason_phrase}"
        headers = [*response.items(),
                   *(("Set-Cookie", c.OutputString()) for c in response.cookies.values())]
        if (generation is not None and version is not None and not response.cookies
                and not response.streaming):
            self.local.put(key, status, tuple(headers), response.content)
        start_response(status, headers)
        return response


def wrap(application):
    return PageCacheHits(application)
