"""Wagtail's page routing for a reader's request, answered from the loader.

Wagtail finds a page by walking the tree from the site's root: a query for the
site, the active locale, and two per level (the child, then its specific
row) — seven for an article before anything is rendered. The homes and
sections are already in the per-process loader (loader.py), so the walk
starts there and the rest of the path is one url_path look-up: an article is
one query.

The walk follows Wagtail's rules step for step (Page.route and
RoutablePageMixin.route): a live routable page answers its own routes before
its children, a missing child is a 404, the last page must be live. Whenever
the walk meets something it does not know (no site, a root that is not a
home, a page the loader does not hold and the look-up does not find), it
leaves the request to Wagtail's own routing, which answers as before.
"""

import copy

from django.http import Http404
from django.urls import Resolver404
from django.utils.translation import get_language
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.coreutils import get_supported_content_language_variant

from . import loader

UNKNOWN = object()


def fresh(page):
    """A copy of a page the loader shares between requests, safe to serve: related
    objects and prefetches fetched while serving it stay with this request."""
    page = copy.copy(page)
    page._state = copy.copy(page._state)
    page._state.fields_cache = dict(page._state.fields_cache)
    page.__dict__.pop("_prefetched_objects_cache", None)
    return page


def known_pages(request, home):
    """{url_path: page} of what the loader holds below a localized root."""
    pages = {home.url_path: home}
    for section in loader.sections(request, home):
        pages[section.url_path] = section
    return pages


def localized_root(request, site):
    from .models import HomePage

    root = site.root_page
    if root.specific_class is not HomePage or not root.live:
        return None
    homes = loader.homes(request)
    try:
        code = get_supported_content_language_variant(get_language())
    except LookupError:
        code = None
    # Wagtail's root_page.localized: the live translation, else the root itself.
    return homes.get(code) or next((h for h in homes.values() if h.pk == root.pk), None)


def answers_itself(page, components):
    """Would a live routable page answer these path components with its own view?"""
    if not (issubclass(page.specific_class, RoutablePageMixin) and page.live):
        return False
    path = "/" + "".join(f"{c}/" for c in components)
    try:
        page.specific_class.get_resolver().resolve(path)
    except (Resolver404, Http404):
        return False
    return True


def _article_at(url_path):
    from .models import ArticlePage

    return ArticlePage.objects.filter(url_path=url_path).select_related("locale", "lead_image")[:1]


def look_up(parent, slug, request=None):
    """The article `slug` below `parent`, in one query, or UNKNOWN."""
    from .prepared import rows

    url_path = f"{parent.url_path}{slug}/"
    found = next(iter(rows(request, "article_at", "s", _article_at, [url_path])), None)
    if found is None or found.path[: -found.steplen] != parent.path:
        return UNKNOWN
    found._cached_parent_obj = fresh(parent)  # as Wagtail's Page.route does
    return found


def route(request, path):
    """Wagtail's RouteResult for `path`, None for a 404, or UNKNOWN."""
    site = loader.site_for(request)
    if site is None:
        return UNKNOWN
    home = localized_root(request, site)
    if home is None:
        return UNKNOWN
    known = known_pages(request, home)
    components = [c for c in path.split("/") if c]
    page, shared = home, True
    for index in range(len(components) + 1):
        remaining = components[index:]
        if not remaining or answers_itself(page, remaining):
            break
        child = known.get(f"{page.url_path}{remaining[0]}/")
        if child is not None and child.path[: -child.steplen] == page.path:
            page = child
            continue
        if len(remaining) != 1:
            return UNKNOWN
        page, shared = look_up(page, remaining[0], request), False
        if page is UNKNOWN:
            return UNKNOWN
    if shared:
        page = fresh(page)
    page._samizdat_routed = True
    try:
        return page.route(request, remaining)
    except Http404:
        return None


def prepare(request, path):
    """Route a reader's request ahead of Wagtail's serve view, which then reads the
    result where Wagtail keeps it (request._wagtail_route_for_request)."""
    if hasattr(request, "_wagtail_route_for_request"):
        return
    result = route(request, path)
    if result is not UNKNOWN:
        request._wagtail_route_for_request = result
