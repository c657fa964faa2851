"""Which URLs make up the site: pages, their routes, and fixed endpoints.

Discovery is generic on purpose: every live page of every locale, the
routes news pages hang below them (pagination, authors, tags), every URL
pattern without parameters, and anything an app lists in an optional
`mirror_export.export_urls()`. The exporter then crawls links from the
rendered pages, which finds whatever else the templates link to.
"""

import importlib
import math
import posixpath
from functools import lru_cache
from urllib.parse import quote, unquote, urljoin, urlsplit

from django.apps import apps
from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, get_resolver, resolve, reverse
from django.urls.resolvers import LocalePrefixPattern, RoutePattern, URLPattern, URLResolver
from django.utils import translation

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


def news_route_paths():
    """Pagination, author and tag pages of the news app, in every language."""
    try:
        from samizdat.news.listing import ARTICLES_PER_PAGE
        from samizdat.news.models import (
            ArticleAuthor,
            ArticlePage,
            ArticleTag,
            HomePage,
            SectionPage,
        )
    except ImportError:
        return set()
    paths = set()

    def pages_of(base, count):
        for number in range(2, math.ceil(count / ARTICLES_PER_PAGE) + 1):
            paths.add(normalize(base + f"page/{number}/"))

    for section in SectionPage.objects.live().public():
        parts = section.get_url_parts()
        if parts is None:
            continue
        count = ArticlePage.objects.live().public().child_of(section).count()
        pages_of(parts[2], count)
    for home in HomePage.objects.live().public():
        parts = home.get_url_parts()
        if parts is None:
            continue
        base = parts[2]
        articles = ArticlePage.objects.live().public().descendant_of(home)
        ids = articles.values("pk")
        counts = {}
        for slug, page_id in ArticleAuthor.objects.filter(page_id__in=ids).values_list(
            "author__slug", "page_id"
        ):
            counts.setdefault(slug, set()).add(page_id)
        for slug, pages in counts.items():
            url = base + home.reverse_subpage("author", args=(slug,))
            paths.add(normalize(url))
            pages_of(url, len(pages))
        counts = {}
        for slug, page_id in ArticleTag.objects.filter(content_object_id__in=ids).values_list(
            "tag__slug", "content_object_id"
        ):
            counts.setdefault(slug, set()).add(page_id)
        for slug, pages in counts.items():
            url = base + home.reverse_subpage("tag", args=(slug,))
            paths.add(normalize(url))
            pages_of(url, len(pages))
    return paths


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


def app_export_paths():
    """URLs apps list in an optional `<app>.mirror_export.export_urls()`."""
    out = set()
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.mirror_export")
        except ImportError:
            continue
        export_urls = getattr(module, "export_urls", None)
        if callable(export_urls):
            out.update(normalize(url) for url in export_urls())
    return out


@lru_cache(maxsize=1)
def excluded_prefixes():
    admin = "/" + settings.WAGTAIL_ADMIN_PATH.strip("/") + "/"
    extra = list(getattr(settings, "SAMIZDAT_EXPORT_EXCLUDE", []))
    return tuple(normalize(p) for p in [admin, "/django-admin/", "/_util/", *extra])


@lru_cache(maxsize=1)
def search_paths():
    """The search page of each language: it needs a server."""
    out = set()
    try:
        from samizdat.news.models import HomePage
    except ImportError:
        return frozenset()
    for home in HomePage.objects.live():
        parts = home.get_url_parts()
        if parts:
            out.add(normalize(parts[2] + home.reverse_subpage("search_page")))
    return frozenset(out)


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


def split(url):
    return urlsplit(url)


def clear_caches():
    for cached in (excluded_prefixes, search_paths, donation_prefixes, is_donation,
                   is_wagtail_page):
        cached.cache_clear()
