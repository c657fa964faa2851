"""Purge what a published change touched, from both caches.

When a page is published, unpublished, moved or deleted:
- the in-app page cache starts a new generation (pagecache.new_generation),
  at once and again when the transaction commits;
- after the commit, the frontend cache (WAGTAILFRONTENDCACHE: nginx, a CDN) is told to
  purge the page, its section, the homes, the article's tag and author
  pages, and the feeds that list it. Wagtail's own handler purges the page
  itself on publish and unpublish; purging it again here is harmless and
  also covers moves and deletions, which Wagtail's handler does not.
"""

import copy

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from django.utils.encoding import iri_to_uri
from wagtail.contrib.frontend_cache.utils import purge_urls_from_cache
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

from .mirror_export import author_path, numbered_page_path, tag_path
from .pagecache import new_generation

# Section pages beyond the first shift when an article arrives; purge a few.
SECTION_PAGES_TO_PURGE = 5
FEED_KINDS = ("rss", "atom")


def _base(page):
    """(root URL of the page's site, language prefix) or None if unroutable."""
    parts = page.get_url_parts()
    if parts is None:
        return None
    _site_id, root_url, _path = parts
    code = page.locale.language_code if page.locale_id else settings.LANGUAGE_CODE
    prefix = "" if code == settings.LANGUAGE_CODE else f"/{code}"
    return root_url, prefix


def _page_urls(page):
    parts = page.get_url_parts()
    if parts is None:
        return []
    _site_id, root_url, path = parts
    url = root_url + path
    return [url + extra.lstrip("/") for extra in page.specific_deferred.get_cached_paths()]


def _homes(page):
    from .models import HomePage

    return list(HomePage.objects.live().filter(depth=2).select_related("locale")) or []


def urls_to_purge(page):
    """Every public URL whose content depends on `page`."""
    from .models import ArticlePage, SectionPage

    page = page.specific
    base = _base(page)
    if base is None:
        return []
    root_url, prefix = base
    urls = set(_page_urls(page))
    for home in _homes(page):
        urls.update(_page_urls(home))
    urls.update(f"{root_url}{prefix}/feeds/{kind}/" for kind in FEED_KINDS)
    urls.update(f"{root_url}/{name}" for name in ("sitemap.xml", "news-sitemap.xml"))
    if isinstance(page, ArticlePage):
        section = page.get_parent()
        if section is not None:
            section_urls = _page_urls(section)
            urls.update(section_urls)
            urls.update(
                numbered_page_path(u, n) for u in section_urls[:1]
                for n in range(2, SECTION_PAGES_TO_PURGE + 1)
            )
            urls.update(f"{root_url}{prefix}/feeds/sections/{section.slug}/{kind}/"
                        for kind in FEED_KINDS)
        home_url = f"{root_url}{prefix}/"
        for tag in page.tags.all():
            urls.add(tag_path(home_url, tag.slug))
        for link in page.article_authors.select_related("author"):
            slug = link.author.slug
            urls.add(author_path(home_url, slug))
            urls.update(f"{root_url}{prefix}/feeds/authors/{slug}/{kind}/" for kind in FEED_KINDS)
    elif isinstance(page, SectionPage):
        urls.update(f"{root_url}{prefix}/feeds/sections/{page.slug}/{kind}/"
                    for kind in FEED_KINDS)
    # Tag slugs may be Cyrillic; the purge request needs an ASCII path.
    return sorted(iri_to_uri(url) for url in urls)


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


def purge(page):
    forget_pages()
    if getattr(settings, "WAGTAILFRONTENDCACHE", None):
        # Worked out now: on deletion the page's rows are gone by commit time.
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
            urls = set(_page_urls(old))
            if old_parent is not None:
                urls.update(_page_urls(old_parent.specific))
            purge_after_commit(sorted(iri_to_uri(url) for url in urls))
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
