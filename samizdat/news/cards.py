"""Article cards from plain values, and page URLs and bylines kept per process.

A card ("Read more" under an article, the lists of sections, tags and authors) shows
a headline, its link, the lead picture, the byline and the date. Template tags would
work each of those out again for every card of every render ({% pageurl %},
{% routablepageurl %} per author, {% picture %}); here:

- a page's URL depends only on its `url_path`, the request's site and the active
  language (Wagtail's `Page.get_url_parts`), all site-wide: kept per process in the
  loader's bounded tables, under the page cache's generation (loader.memo), which any
  change to a home, a section, a site or its settings replaces;
- an author's link likewise (the home's URL and the route), so a byline is plain
  string work;
- "Read more" reads its cards in one `.values_list()` query and their bylines in one
  more (with the article's own), no page or image instances: the picture's markup is
  kept per image (images/templatetags/samizdat_images.py) and the image itself is
  fetched only when that markup has to be built.

Nothing about an article is kept between requests: the cards' rows, the related ids
and the bylines are read on every render.
"""

import copy

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext
from wagtail.models import Page

from . import loader, prepared


def _site_pk(request):
    site = getattr(request, "_wagtail_site", None)
    if site is None:
        from wagtail.models import Site

        site = Site.find_for_request(request)
    return site.pk if site is not None else None


class KeptUrlParts:
    """Wagtail's Page.get_url_parts, kept per process for a request's site and language
    (a page model mixin: seo, feeds and templates ask for the same URLs on every render).
    The answer depends on the url_path, the site root paths (site-wide: a new page cache
    generation when they change), the request's site and the active language."""

    def get_url_parts(self, request=None):
        if not isinstance(request, HttpRequest) or not self.url_path:
            return super().get_url_parts(request=request)
        key = (_site_pk(request), self.url_path, get_language())
        return loader.memo(request, "url_parts", key,
                           lambda: super(KeptUrlParts, self).get_url_parts(request=request))


# Pages whose URL is Wagtail's, from the url_path alone.
_PLAIN_URLS = (Page.get_url_parts, KeptUrlParts.get_url_parts)


def page_url(request, page):
    """`{% pageurl page %}`: page.get_url(request), kept per process by url_path."""
    if (request is None or not page.pk or not page.url_path
            or type(page).get_url_parts not in _PLAIN_URLS):
        return page.get_url(request=request)
    return path_url(request, page.url_path, page.pk)


def path_url(request, url_path, pk):
    """The URL (as Page.get_url) of the page at `url_path`."""
    key = (_site_pk(request), url_path, get_language())
    return loader.memo(request, "page_url", key,
                       lambda: Page(id=pk, url_path=url_path).get_url(request=request))


def subpage_url(request, page, name, *args):
    """`{% routablepageurl page name *args %}`, kept per process."""
    if request is None or not page.pk or type(page).get_url_parts not in _PLAIN_URLS:
        return _routable_url(request, page, name, args)
    key = (_site_pk(request), page.url_path, get_language(), name, args)
    return loader.memo(request, "subpage_url", key,
                       lambda: _routable_url(request, page, name, args))


def _routable_url(request, page, name, args):
    from wagtail.models import Site

    base_url = page.relative_url(Site.find_for_request(request), request)
    if not base_url.endswith("/"):
        base_url += "/"
    return base_url + page.reverse_subpage(name, args=args)


def current_home(request):
    """news_tags.current_home without a template context."""
    if request is None:
        return None
    HomePage = apps.get_model("news", "HomePage")  # noqa: N806
    return HomePage.for_request(request, get_language() or settings.LANGUAGE_CODE)


def byline(request, authors, home=None):
    """news/partials/byline.html for `authors` (objects with name and slug), as markup."""
    parts = []
    last = len(authors) - 1
    for index, author in enumerate(authors):
        if index:
            parts.append(f" {conditional_escape(gettext('and'))} " if index == last else ", ")
        name = conditional_escape(author.name)
        if home:
            href = conditional_escape(subpage_url(request, home, "author", author.slug))
            parts.append(f'<a href="{href}">{name}</a>')
        else:
            parts.append(name)
    parts.append("\n")  # the partial's last line
    return mark_safe("".join(parts))


class ImageRef:
    """An image known by its id, fetched (with the others of its batch, in one query)
    only when its picture's markup is not kept yet."""

    __slots__ = ("pk", "_batch")

    def __init__(self, pk, batch):
        self.pk = pk
        self._batch = batch

    def __bool__(self):
        return True

    def load(self):
        batch = self._batch
        if self.pk not in batch["images"]:
            CustomImage = apps.get_model("images", "CustomImage")  # noqa: N806
            batch["images"].update(CustomImage.objects.in_bulk(batch["ids"]))
        return batch["images"][self.pk]

    def get_rendition(self, filter):
        return self.load().get_rendition(filter)

    def get_renditions(self, *filters):
        return self.load().get_renditions(*filters)


class Card:
    """What news/partials/article_card.html shows of an article."""

    __slots__ = ("pk", "title", "standfirst", "first_published_at", "url", "lead_image",
                 "byline")

    def __init__(self, pk, title, standfirst, first_published_at, url, lead_image, byline):
        self.pk = pk
        self.title = title
        self.standfirst = standfirst
        self.first_published_at = first_published_at
        self.url = url
        self.lead_image = lead_image
        self.byline = byline

    @classmethod
    def of(cls, request, article, home):
        """The card of an article instance (a list's, with its bylines prefetched)."""
        return cls(article.pk, article.title, article.standfirst, article.first_published_at,
                   page_url(request, article), article.lead_image,
                   byline(request, article.authors, home))


def listing_cards(request, articles):
    home = current_home(request)
    return [Card.of(request, article, home) for article in articles]


def _own_bylines_shared(article):
    """May the article's bylines come from the database with the cards' (as
    ArticlePage.authors would read them)? Not for a preview's unsaved bylines."""
    return (article.pk is not None and "authors" not in article.__dict__
            and "article_authors" not in getattr(article, "_cluster_related_objects", {})
            and "article_authors" not in getattr(article, "_prefetched_objects_cache", {}))


def related_cards(request, article):
    """'Read more' under `article` (ArticlePageQuerySet.related_ids) as cards; the
    article's own bylines are read in the cards' query for theirs."""
    ArticlePage = apps.get_model("news", "ArticlePage")  # noqa: N806
    ArticleAuthor = apps.get_model("news", "ArticleAuthor")  # noqa: N806
    ids = ArticlePage.objects.related_ids(article, request=request)
    own = _own_bylines_shared(article)
    rows = {}
    if ids:
        rows = {row[0]: row for row in prepared.rows(
            request, "cards", "i" * len(ids),
            lambda *pks: ArticlePage.objects.filter(pk__in=pks).values_list(
                "pk", "title", "standfirst", "first_published_at", "url_path", "lead_image_id"),
            ids)}
    authors = {pk: [] for pk in rows}
    wanted = list(rows) + ([article.pk] if own else [])
    if wanted:
        links = prepared.rows(
            request, "bylines", "i" * len(wanted),
            lambda *pks: ArticleAuthor.objects.filter(page_id__in=pks).select_related("author"),
            wanted)
        for link in links:
            authors.setdefault(link.page_id, []).append(link.author)
    if own:
        article.__dict__["authors"] = authors.get(article.pk, [])
    home = current_home(request)
    batch = {"ids": [row[5] for row in rows.values() if row[5] is not None], "images": {}}
    cards = []
    for pk in ids:
        row = rows.get(pk)
        if row is None:
            continue
        pk, title, standfirst, published, url_path, image_id = row
        cards.append(Card(
            pk, title, standfirst, published, path_url(request, url_path, pk),
            ImageRef(image_id, batch) if image_id is not None else None,
            byline(request, authors[pk], home)))
    return cards


def prefetch_tags(request, article):
    """prefetch_related_objects([article], "tags") from prepared SQL: the same query,
    the same cache on the article. False when it cannot (a preview's tags in memory, an
    unsaved page, no request): the caller prefetches as usual."""
    if (request is None or article.pk is None
            or "tags" in getattr(article, "_prefetched_objects_cache", {})
            or article.tags.get_tagged_item_manager().is_deferring):
        return False
    def query(pk):
        stand_in = copy.copy(article)  # a saved page's manager, not a new one's
        stand_in.__dict__.pop("_prefetched_objects_cache", None)
        stand_in.pk = pk
        return stand_in.tags.get_prefetch_querysets([stand_in])[0]

    tags = prepared.rows(request, "article_tags", "i", query, [article.pk])
    found = article.tags.get_queryset()
    found._result_cache = tags
    found._prefetch_done = True
    if not hasattr(article, "_prefetched_objects_cache"):
        article._prefetched_objects_cache = {}
    article._prefetched_objects_cache[article.tags.prefetch_cache_name] = found
    return True
