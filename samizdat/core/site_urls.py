"""How an app declares the public URLs it serves beyond its pages, and which of
them a change to a page touches.

In the spirit of Django's `contrib.sitemaps.Sitemap`: an app that has such URLs
subclasses `SiteUrls` in `<app>/mirror_export.py` and names an instance `urls`.
The static export (`samizdat.mirrors`) finds it by that name, never by importing
the app: it seeds the crawl with `export_urls()`, leaves `server_only_urls()`
out, and re-renders on an incremental export what `always_affected()`,
`lists_of()` and `neighbours_of()` name. The app's own sitemaps and cache purge
build the same URLs through the same object, so a new route is declared once.
robots.txt (news) names every app's `sitemaps()`, found the same way.
"""

import contextlib
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class PublishedPage:
    """A live page as an export saw it: where it is and what lists it belongs to."""

    id: str
    path: str  # its URL path, normalised
    tree: str  # Wagtail's materialised tree path ("00010001…")
    parent: str  # the parent's tree path
    locale: int
    facts: Mapping[str, tuple] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def depth(self):
        return len(self.tree) // 4


class SiteUrls:
    """One app's URLs. Every method has a harmless default: override what applies."""

    def export_urls(self) -> Iterable[str]:
        """Paths no page tree lists and a mirror must hold (list pages and their
        numbered pages), in every language."""
        return ()

    def sitemaps(self) -> Iterable[str]:
        """Root paths of the app's sitemap files (robots.txt lists each on SITE_URL)."""
        return ()

    def server_only_urls(self) -> Iterable[str]:
        """Paths that need a server (search): left out of mirrors, links removed."""
        return ()

    def page_facts(self, page_ids) -> Mapping[int, Mapping[str, Iterable[str]]]:
        """{page id: {name: values}}: what decides which lists a page shows in,
        beyond its place in the tree (its tags, its authors)."""
        return {}

    def bulk_render(self) -> contextlib.AbstractContextManager:
        """A context in which the app's pages read what many of them show from data
        fetched once (the static export renders every page with it active, in each
        worker). It must not change a byte of any page."""
        return contextlib.nullcontext()

    def always_affected(self, pages: Mapping[str, PublishedPage]) -> Iterable[str]:
        """Paths that change whenever any page does (home pages)."""
        return ()

    def lists_of(self, page: PublishedPage, pages: Mapping[str, PublishedPage]) -> Iterable[str]:
        """Paths of the lists that show `page`; their numbered pages hang below
        `<path>page/`."""
        return ()

    def neighbours_of(self, page: PublishedPage,
                      pages: Mapping[str, PublishedPage]) -> Iterable[str]:
        """Ids of pages in `pages` whose output shows `page` (related articles)."""
        return ()


def declarations():
    """Each installed app's `SiteUrls`, from `<app>.mirror_export.urls`, in app order.

    Found by name, never imported by name: whoever asks knows no app's routes.
    """
    found = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.mirror_export")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.mirror_export":
                raise
            continue
        urls = getattr(module, "urls", None)
        if not isinstance(urls, SiteUrls):
            raise ImproperlyConfigured(
                f"{module.__name__}.urls must be a samizdat.core.site_urls.SiteUrls")
        found.append(urls)
    return tuple(found)
