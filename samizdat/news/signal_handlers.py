"""Purge what a published change touched, from both caches.

When an article is published, unpublished or deleted, the URLs it affects
(affected.affected_urls) are forgotten by the in-app page cache (one token
per path, at once and again when the transaction commits) and, after the
commit, purged from the frontend cache (WAGTAILFRONTENDCACHE: nginx, a CDN);
every other cached page stays. Any other page (a home, a section, a standard
page) shows in the navigation of every page, and moves change addresses, so
those start a new generation of the in-app cache instead; the frontend cache
is still asked for the URLs they affect. Wagtail's own handler purges the
page itself on publish and unpublish; purging it again here is harmless.
"""

import copy
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.utils.encoding import iri_to_uri
from wagtail.contrib.frontend_cache.utils import purge_urls_from_cache
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from .affected import affected_urls, page_urls
from .pagecache import forget_paths, new_generation


def urls_to_purge(page):
    """affected_urls as the frontend cache wants them: ASCII (tag slugs may be Cyrillic)."""
    return sorted(iri_to_uri(url) for url in affected_urls(page))


def forget_pages():
    """Start a new page-cache generation now and again once the change is committed.

    Now: renders in flight notice the change and do not store. After commit: a
    reader who rendered in the gap between the change and its commit saw the old
    rows and may have stored them under the new generation.
    """
    new_generation()
    transaction.on_commit(new_generation)


def purge_after_commit(urls):
    """Ask the frontend cache to refetch only once the new rows are visible to it."""
    if urls and getattr(settings, "WAGTAILFRONTENDCACHE", None):
        transaction.on_commit(lambda: purge_urls_from_cache(urls))


def forget_urls(urls):
    """The in-app cache forgets these URLs' pages now and again once committed
    (as forget_pages, for a reader who renders in between)."""
    paths = {urlsplit(url).path for url in urls}
    forget_paths(paths)
    transaction.on_commit(lambda: forget_paths(paths))


def purge(page):
    from .models import ArticlePage

    page = page.specific
    if isinstance(page, ArticlePage):
        # Worked out now: on deletion the page's rows are gone by commit time.
        urls = affected_urls(page)
        forget_urls(urls)
        purge_after_commit(sorted(iri_to_uri(url) for url in urls))
        return
    forget_pages()
    if getattr(settings, "WAGTAILFRONTENDCACHE", None):
        purge_after_commit(urls_to_purge(page))


def on_publish_or_unpublish(sender, instance, **kwargs):
    purge(instance)


def on_delete(sender, instance, **kwargs):
    # Before the rows go: the article's tags and authors are still readable.
    # Django sends this once per model of the page's inheritance chain; act
    # on the most specific one only.
    if isinstance(instance, Page) and type(instance) is instance.specific_class:
        purge(instance)


def on_move(sender, instance, url_path_before=None, url_path_after=None, **kwargs):
    if url_path_before and url_path_before != url_path_after:
        old = copy.copy(instance.specific)
        old.url_path = url_path_before
        old_parent = kwargs.get("parent_page_before")
        forget_pages()
        if getattr(settings, "WAGTAILFRONTENDCACHE", None):
            urls = set(page_urls(old))
            if old_parent is not None:
                urls.update(page_urls(old_parent.specific))
            purge_after_commit(sorted(iri_to_uri(url) for url in urls))
    forget_pages()  # a move changes addresses and navigation: start afresh
    purge(instance)


_SHOWN_ON_PAGES = {}


def shown_on_pages(model):
    """Snippets (authors, appeals), site settings and images appear on pages."""
    if model not in _SHOWN_ON_PAGES:
        from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
        from wagtail.images.models import AbstractImage
        from wagtail.models import Site
        from wagtail.snippets.models import get_snippet_models

        _SHOWN_ON_PAGES[model] = not issubclass(model, Page) and (
            issubclass(model, (BaseSiteSetting, BaseGenericSetting, AbstractImage, Site))
            or model in get_snippet_models()
        )
    return _SHOWN_ON_PAGES[model]


def on_content_change(sender, **kwargs):
    """An edited snippet or setting: the in-app cache forgets every page.

    (The frontend cache keeps them until s-maxage; pages do not record which
    snippets they show, so there is no precise list to purge.)
    """
    if shown_on_pages(sender):
        forget_pages()


def on_view_restriction_change(sender, instance, **kwargs):
    """A page made private (or public again): no cache may keep serving the old copy.

    The restriction covers the page and everything under it, and listings show
    its children, so every page is forgotten; the frontend cache is asked for
    the page itself and its listings."""
    forget_pages()
    page = getattr(instance, "page", None)
    if page is not None and getattr(settings, "WAGTAILFRONTENDCACHE", None):
        purge_after_commit(urls_to_purge(page.specific))


def register_signal_handlers():
    post_save.connect(on_content_change, dispatch_uid="samizdat-purge-snippet-save")
    post_delete.connect(on_content_change, dispatch_uid="samizdat-purge-snippet-delete")
    page_published.connect(on_publish_or_unpublish, dispatch_uid="samizdat-purge-publish")
    page_unpublished.connect(on_publish_or_unpublish, dispatch_uid="samizdat-purge-unpublish")
    post_page_move.connect(on_move, dispatch_uid="samizdat-purge-move")
    pre_delete.connect(on_delete, dispatch_uid="samizdat-purge-delete")
    from wagtail.models import PageViewRestriction

    for signal in (post_save, post_delete):
        signal.connect(on_view_restriction_change, sender=PageViewRestriction,
                       dispatch_uid=f"samizdat-purge-view-restriction-{id(signal)}")
