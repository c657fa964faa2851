"""Which public URLs a change to a page affects: one answer for every cache.

The in-app page cache forgets exactly these (pagecache.forget_paths), nginx or
a CDN is asked to purge them (FRONTEND_CACHE_PURGE_URL), and they are built
with the same path builders as the static export's incremental run
(mirror_export.py: tag, author and numbered list pages), so the three never
disagree about what a published article touches.
"""

from django.conf import settings

from .mirror_export import author_path, numbered_page_path, tag_path

# A new article shifts every numbered page of its lists by one; the first few
# are the ones read (deeper pages catch up when their cache entry expires).
LIST_PAGES_TO_PURGE = 5
FEED_KINDS = ("rss", "atom")
SITEMAPS = ("sitemap.xml", "news-sitemap.xml")


def _base(page):
    """(root URL of the page's site, language prefix) or None if unroutable."""
    parts = page.get_url_parts()
    if parts is None:
        return None
    _site_id, root_url, _path = parts
    code = page.locale.language_code if page.locale_id else settings.LANGUAGE_CODE
    prefix = "" if code == settings.LANGUAGE_CODE else f"/{code}"
    return root_url, prefix


def page_urls(page):
    """The page's own URLs (its cached paths: a routable page's sub-pages)."""
    parts = page.get_url_parts()
    if parts is None:
        return []
    _site_id, root_url, path = parts
    url = root_url + path
    return [url + extra.lstrip("/") for extra in page.specific_deferred.get_cached_paths()]


def _list_and_pages(url):
    return [url] + [numbered_page_path(url, n) for n in range(2, LIST_PAGES_TO_PURGE + 1)]


def _homes():
    from .models import HomePage

    return list(HomePage.objects.live().filter(depth=2).select_related("locale"))


def _tag_neighbours(article):
    """Live articles whose 'Read more' may show this one: the editor picked it, or
    they share a tag in the same language (the export's neighbours_of names those)."""
    from .models import ArticlePage

    picked_by = list(ArticlePage.objects.live().filter(related_links__article=article))
    tag_ids = [tag.pk for tag in article.tags.all()]
    if not tag_ids:
        return picked_by
    return picked_by + list(ArticlePage.objects.live().filter(
        locale_id=article.locale_id, tagged_items__tag_id__in=tag_ids)
        .exclude(pk=article.pk).distinct())


def _read_more_neighbours(article):
    """Live articles whose 'Read more' may show this one through its section or the
    newest-articles fallback (querysets.related_ids), bounded by its rank: a story
    shows under a section neighbour only while it is among the section's
    MAX_RELATED + 1 newest, and as a fallback only among the language's
    MIN_RELATED + 1 newest, for articles of sections too small to fill the list."""
    from django.db.models import Count, Q
    from django.db.models.functions import Substr

    from .models import ArticlePage
    from .querysets import MAX_RELATED, MIN_RELATED

    when = article.first_published_at
    if when is None or not article.path:
        return []
    others = (ArticlePage.objects.live().public().filter(locale_id=article.locale_id)
              .exclude(pk=article.pk))
    newer = others.filter(Q(first_published_at__gt=when)
                          | Q(first_published_at=when, pk__gt=article.pk))
    section = article.path[: -article.steplen]
    found = []
    in_section = others.filter(path__startswith=section, depth=article.depth)
    if newer.filter(path__startswith=section, depth=article.depth).count() <= MAX_RELATED:
        found += list(in_section)
    if newer.count() <= MIN_RELATED:
        # An article with fewer than MIN_RELATED section neighbours may fall back.
        small = (others.filter(depth=article.depth).order_by()  # no ordering: grouped
                 .annotate(parent=Substr("path", 1, len(section)))
                 .values("parent").annotate(size=Count("pk")).filter(size__lte=MIN_RELATED)
                 .values_list("parent", flat=True))
        for parent in small:
            for other in others.filter(path__startswith=parent, depth=article.depth):
                # Few articles: ask their list (a story taken off the site is gone
                # from it already, so forget every one that may have shown it).
                if not article.live or article.pk in ArticlePage.objects.related_ids(other):
                    found.append(other)
    return found


def affected_urls(page):
    """Every public URL (as an IRI) whose content depends on `page`: the page, its
    translations, its section and the section's first pages, its tag and author
    pages, the articles that list it under 'Read more', the homes, the feeds
    that carry it and the sitemaps."""
    from .models import ArticlePage, SectionPage

    page = page.specific
    base = _base(page)
    if base is None:
        return []
    root_url, prefix = base
    urls = set(page_urls(page))
    for home in _homes():
        urls.update(page_urls(home))
    urls.update(f"{root_url}{prefix}/feeds/{kind}/" for kind in FEED_KINDS)
    urls.update(f"{root_url}/{name}" for name in SITEMAPS)
    if isinstance(page, ArticlePage):
        for translation in page.get_translations().live():
            urls.update(page_urls(translation))
        section = page.get_parent()
        if section is not None:
            section_urls = page_urls(section)
            urls.update(section_urls)
            for url in section_urls[:1]:
                urls.update(_list_and_pages(url))
            urls.update(f"{root_url}{prefix}/feeds/sections/{section.slug}/{kind}/"
                        for kind in FEED_KINDS)
        home_url = f"{root_url}{prefix}/"
        for tag in page.tags.all():
            urls.update(_list_and_pages(tag_path(home_url, tag.slug)))
        for link in page.article_authors.select_related("author"):
            slug = link.author.slug
            urls.update(_list_and_pages(author_path(home_url, slug)))
            urls.update(f"{root_url}{prefix}/feeds/authors/{slug}/{kind}/" for kind in FEED_KINDS)
        for neighbour in _tag_neighbours(page) + _read_more_neighbours(page):
            urls.update(page_urls(neighbour))
    elif isinstance(page, SectionPage):
        urls.update(f"{root_url}{prefix}/feeds/sections/{page.slug}/{kind}/"
                    for kind in FEED_KINDS)
    return sorted(urls)
