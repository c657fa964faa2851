"""Which URLs make up the site: pages, their routes, and fixed endpoints.

Discovery is generic on purpose: every live page of every locale, every URL
pattern without parameters, and the URLs each app declares through its
`<app>/mirror_export.py: urls` (a `samizdat.core.site_urls.SiteUrls`: list
pages, their numbered pages, what needs a server). The exporter then crawls
links from the rendered pages, which finds whatever else the templates link to.
"""

import posixpath
from functools import lru_cache
from urllib.parse import quote, unquote, urljoin

from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, get_resolver, resolve, reverse
from django.urls.resolvers import LocalePrefixPattern, RoutePattern, URLPattern, URLResolver
from django.utils import translation

from samizdat.core import site_urls

SAFE = "/:@!$&'()*+,;=-._~"


def normalize(path):
    """One spelling per path: percent-encoded UTF-8, '.' and '..' resolved."""
    path = unquote(path)
    trailing = path.endswith("/")
    path = posixpath.normpath("/" + path.lstrip("/"))
    if path == "/":
        return "/"
    if trailing:
        path += "/"
    return quote(path, safe=SAFE)


def page_paths():
    """{page id: path} of every live, public page that has a URL."""
    from wagtail.models import Page

    found = {}
    pages = Page.objects.live().public().filter(depth__gt=1).order_by("path")
    for page in pages.iterator():
        parts = page.get_url_parts()
        if parts is None:
            continue
        found[page.pk] = normalize(parts[2])
    return found


def _walk(patterns, prefix, out):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if isinstance(pattern.pattern, LocalePrefixPattern):
                for code, _name in settings.LANGUAGES:
                    with translation.override(code):
                        _walk(pattern.url_patterns, prefix + pattern.pattern.language_prefix,
                              out)
            elif isinstance(pattern.pattern, RoutePattern) and "<" not in str(pattern.pattern):
                _walk(pattern.url_patterns, prefix + str(pattern.pattern), out)
        elif isinstance(pattern, URLPattern):
            route = str(pattern.pattern)
            if isinstance(pattern.pattern, RoutePattern) and "<" not in route:
                out.add(normalize("/" + prefix + route))


def fixed_endpoint_paths():
    """Every URL pattern without parameters, per language (GET decides if it exports)."""
    out = set()
    _walk(get_resolver().url_patterns, "", out)
    return {p for p in out if not is_excluded(p)}


@lru_cache(maxsize=1)
def declarations():
    """Each app's `SiteUrls` (samizdat.core.site_urls), from `<app>.mirror_export.urls`.

    Found by name, never imported by name: the mirror knows no app's routes.
    """
    return site_urls.declarations()


def app_export_paths():
    """The URLs apps declare beyond their pages (list pages and their numbered pages)."""
    return {normalize(url) for urls in declarations() for url in urls.export_urls()}


@lru_cache(maxsize=1)
def excluded_prefixes():
    admin = "/" + settings.WAGTAIL_ADMIN_PATH.strip("/") + "/"
    extra = list(getattr(settings, "SAMIZDAT_EXPORT_EXCLUDE", []))
    return tuple(normalize(p) for p in [admin, "/django-admin/", "/_util/", *extra])


@lru_cache(maxsize=1)
def search_paths():
    """Paths apps declare as needing a server (search): left out, links removed."""
    return frozenset(normalize(url) for urls in declarations() for url in urls.server_only_urls())


def is_excluded(path):
    return path.startswith(excluded_prefixes()) or path in search_paths()


@lru_cache(maxsize=1)
def donation_prefixes():
    """Paths of the contribution pages (all languages): a server takes the money."""
    out = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            try:
                out.add(normalize(reverse("support:contribute")))
            except NoReverseMatch:
                pass
    return tuple(sorted(out))


@lru_cache(maxsize=4096)
def is_donation(path):
    if donation_prefixes() and path.startswith(donation_prefixes()):
        return True
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if "." in last:
        return False  # funding.json and friends are data, exportable
    try:
        match = resolve(unquote(path))
    except Resolver404:
        return False
    return "support" in match.namespaces


@lru_cache(maxsize=4096)
def is_wagtail_page(path):
    """True when Wagtail's page router (not an app view) answers the path."""
    try:
        match = resolve(unquote(path))
    except Resolver404:
        return False
    return match.url_name == "wagtail_serve"


def join(base_path, url):
    return urljoin(base_path, url)


def clear_caches():
    for cached in (declarations, excluded_prefixes, search_paths, donation_prefixes, is_donation,
                   is_wagtail_page):
        cached.cache_clear()
