"""The news app's URLs beyond its pages, declared once.

Section pages 2, 3, …, author and tag pages (with their numbered pages) and
search hang below the pages as Wagtail routes; no page tree lists them, nor the
section and author feeds those pages link to (Django views). The
URL builders here are what the sitemaps, the cache purge and the static export
(through `urls`, the `samizdat.core.site_urls` hook) all use, so a route or a
page size changes in one place.
"""

import contextlib
import math

from samizdat.core.site_urls import SiteUrls

from .listing import ARTICLES_PER_PAGE


def page_count(articles):
    """How many numbered pages a list of `articles` articles has (at least 1)."""
    return max(1, math.ceil(articles / ARTICLES_PER_PAGE))


def numbered_page_path(list_path, number):
    """Page `number` (2, 3, …) of the list at `list_path`: sections, authors and tags
    number their pages alike (`…/page/<number>/`, routes in models.py)."""
    from .models import SectionPage

    return list_path + SectionPage.get_resolver().reverse("numbered_page", number=number)


def numbered_page_paths(list_path, articles):
    return [numbered_page_path(list_path, n) for n in range(2, page_count(articles) + 1)]


def author_path(home_path, slug):
    from .models import HomePage

    return home_path + HomePage.get_resolver().reverse("author", slug)


def tag_path(home_path, slug):
    from .models import HomePage

    return home_path + HomePage.get_resolver().reverse("tag", slug)


def search_path(home_path):
    from .models import HomePage

    return home_path + HomePage.get_resolver().reverse("search_page")


def feed_paths(language, name, slug):
    """The RSS and Atom paths of a section's or author's feed, in `language`: their
    pages link to them (seo.feed_links), and an export that knows them before it
    renders those pages writes the links right the first time."""
    from django.urls import NoReverseMatch, reverse
    from django.utils import translation

    with translation.override(language):
        try:
            return [reverse(f"feeds:{name}_{kind}", kwargs={"slug": slug})
                    for kind in ("rss", "atom")]
        except NoReverseMatch:  # the feeds are not installed
            return []


def _path_of(page):
    parts = page.get_url_parts()
    return None if parts is None else parts[2]


class NewsUrls(SiteUrls):
    """Pagination, author, tag and search pages of every language."""

    def sitemaps(self):
        from django.urls import reverse

        return [reverse("sitemap"), reverse("news_sitemap")]

    @contextlib.contextmanager
    def bulk_render(self):
        """Image renditions (images/bulk.py) and the articles "Read more" picks from
        (news/bulk.py), fetched once per export worker."""
        from samizdat.images.bulk import renditions_fetched_once

        from .bulk import articles_fetched_once

        with renditions_fetched_once(), articles_fetched_once():
            yield

    def export_urls(self):
        from .models import ArticleAuthor, ArticlePage, ArticleTag, HomePage, SectionPage

        paths = set()
        for section in SectionPage.objects.live().public().select_related("locale"):
            base = _path_of(section)
            if base is not None:
                count = ArticlePage.objects.live().public().child_of(section).count()
                paths.update(numbered_page_paths(base, count))
                paths.update(feed_paths(section.locale.language_code, "section_feed",
                                        section.slug))
        for home in HomePage.objects.live().public().select_related("locale"):
            base = _path_of(home)
            if base is None:
                continue
            ids = ArticlePage.objects.live().public().descendant_of(home).values("pk")
            # (list page of a slug, its feed's URL name or None, (slug, article) rows)
            lists = (
                (author_path, "author_feed", ArticleAuthor.objects.filter(page_id__in=ids)
                 .values_list("author__slug", "page_id")),
                (tag_path, None, ArticleTag.objects.filter(content_object_id__in=ids)
                 .values_list("tag__slug", "content_object_id")),
            )
            for path_of, feed, rows in lists:
                articles = {}
                for slug, page_id in rows:
                    articles.setdefault(slug, set()).add(page_id)
                for slug, pages in articles.items():
                    url = path_of(base, slug)
                    paths.add(url)
                    paths.update(numbered_page_paths(url, len(pages)))
                    if feed:
                        paths.update(feed_paths(home.locale.language_code, feed, slug))
        return paths

    def server_only_urls(self):
        from .models import HomePage

        return {search_path(base) for home in HomePage.objects.live()
                if (base := _path_of(home)) is not None}

    def page_facts(self, page_ids):
        from .models import ArticleAuthor, ArticleTag

        tags, authors = {}, {}
        for page_id, slug in ArticleTag.objects.values_list("content_object_id", "tag__slug"):
            tags.setdefault(page_id, []).append(slug)
        for page_id, slug in ArticleAuthor.objects.order_by("sort_order", "pk").values_list(
                "page_id", "author__slug"):
            authors.setdefault(page_id, []).append(slug)
        return {pk: {"tags": sorted(tags.get(pk, [])), "authors": authors.get(pk, [])}
                for pk in page_ids}

    @staticmethod
    def homes(pages):
        """{locale: path of its home page}: a home is the page at depth 2."""
        return {page.locale: page.path for page in pages.values() if page.depth == 2}

    def always_affected(self, pages):
        # Every home lists the latest articles of every section.
        return set(self.homes(pages).values())

    def lists_of(self, page, pages):
        home = self.homes(pages).get(page.locale, "/")
        return ([tag_path(home, slug) for slug in page.facts.get("tags", ())]
                + [author_path(home, slug) for slug in page.facts.get("authors", ())])

    def neighbours_of(self, page, pages):
        # "Read more" under an article lists others with the same tags.
        tags = set(page.facts.get("tags", ()))
        return {other.id for other in pages.values()
                if other.locale == page.locale and tags & set(other.facts.get("tags", ()))}


urls = NewsUrls()
