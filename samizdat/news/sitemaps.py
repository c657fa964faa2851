"""sitemap.xml with hreflang alternates, and a Google News sitemap.

The list URLs (numbered section pages, author and tag pages) come from
mirror_export.py, where the news app declares them once for the sitemaps, the
static export and the cache purge alike.

Django's Sitemap does the language work (`i18n`, `alternates`, `x_default`):
an item here is one piece of content in all the languages it exists in, and
location() answers for the language being generated. Everything is read in
a fixed number of queries, whatever the size of the archive.
"""

import datetime
from dataclasses import dataclass, field
from functools import reduce
from operator import or_
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import sitemap as sitemap_view
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import get_language
from wagtail.models import Page, Site

from .mirror_export import author_path, numbered_page_paths, tag_path
from .seo import hreflang_alternates, page_path

# Google News lists articles of the last two days, at most 1,000 per sitemap
# (developers.google.com/search/docs/crawling-indexing/sitemaps/news-sitemap).
NEWS_MAX_AGE = datetime.timedelta(days=2)
NEWS_LIMIT = 1000


@dataclass
class Entry:
    """One piece of content: its path and when it last changed, in each language."""

    paths: dict = field(default_factory=dict)
    lastmods: dict = field(default_factory=dict)

    def add(self, language_code, path, lastmod):
        self.paths.setdefault(language_code, path)
        current = self.lastmods.get(language_code)
        if lastmod is not None and (current is None or lastmod > current):
            self.lastmods[language_code] = lastmod

    @property
    def lastmod(self):
        return max(self.lastmods.values(), default=None)


class SiteContent:
    """The live, public pages of the request's site, in every language, read once."""

    def __init__(self, request):
        from .models import HomePage

        self.request = request
        site = Site.find_for_request(request)
        if site is None:
            self.homes = []
        else:
            self.homes = list(
                HomePage.objects.live()
                .public()
                .filter(translation_key=site.root_page.translation_key)
                .select_related("locale")
            )
        self.home_paths = {
            home.locale.language_code: page_path(home, request) for home in self.homes
        }
        self.under_homes = (
            reduce(or_, (Q(path__startswith=home.path) for home in self.homes))
            if self.homes
            else Q(pk__in=[])
        )
        self.pages = [
            page
            for page in Page.objects.live()
            .public()
            .filter(self.under_homes)
            .select_related("locale")
            .order_by("path")
            if page_path(page, request) is not None
        ]

    @classmethod
    def for_request(cls, request):
        if not hasattr(request, "_samizdat_site_content"):
            request._samizdat_site_content = cls(request)
        return request._samizdat_site_content

    def articles(self):
        """A queryset of the site's live, public articles (for subqueries)."""
        from .models import ArticlePage

        return ArticlePage.objects.live().public().filter(self.under_homes)

    def pages_of_type(self, model):
        content_type = ContentType.objects.get_for_model(model)
        return [page for page in self.pages if page.content_type_id == content_type.pk]


class I18nSitemap(Sitemap):
    """Entries in each of their languages, each naming the others with hreflang."""

    i18n = True
    alternates = True
    # Django's x_default strips "/en/" from the URL, which English URLs here do
    # not have (a tag called "en" would lose it); get_urls() names the alternates instead.
    x_default = False

    def __init__(self, request):
        self.request = request
        self.content = SiteContent.for_request(request)
        self._entries = None

    # Locations on SITE_URL, never the request's Host header (Django's default).
    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_urls(self, *args, **kwargs):
        urls = super().get_urls(*args, **kwargs)
        for url in urls:
            # Django asks lastmod() without the language; answer per language here.
            entry, language_code = url["item"]
            url["lastmod"] = entry.lastmods.get(language_code)
            # The same alternates as the page's own <head> (seo.hreflang_alternates).
            url["alternates"] = [{"lang_code": link["code"], "location": link["url"]}
                                 for link in hreflang_alternates(entry.paths)]
        return urls

    def items(self):
        if self._entries is None:
            self._entries = list(self.entries())
        return self._entries

    def entries(self):
        return []

    def get_languages_for_item(self, item):
        return [code for code in self._languages() if code in item.paths]

    def location(self, item):
        return item.paths[get_language()]

    def lastmod(self, item):
        return item.lastmod


class PageSitemap(I18nSitemap):
    """Home, sections, articles and other pages, grouped with their translations."""

    def entries(self):
        # A home or section changes whenever an article under it is published.
        newest_below = {}
        for page in self.content.pages:
            if page.last_published_at is None:
                continue
            published = page.last_published_at
            for depth in range(1, page.depth):
                ancestor = page.path[: depth * page.steplen]
                newest_below[ancestor] = max(newest_below.get(ancestor, published), published)
        groups = {}
        for page in self.content.pages:
            entry = groups.setdefault(page.translation_key, Entry())
            path = page_path(page, self.request)
            entry.add(page.locale.language_code, path, page.last_published_at)
            entry.add(page.locale.language_code, path, newest_below.get(page.path))
        return groups.values()


class SectionListingSitemap(I18nSitemap):
    """Pages 2, 3, … of each section, so a crawler or a mirror reaches every article."""

    def entries(self):
        from .models import ArticlePage, SectionPage

        counts = {}
        for article in self.content.pages_of_type(ArticlePage):
            parent = article.path[: -article.steplen]
            counts[parent] = counts.get(parent, 0) + 1
        groups = {}
        for section in self.content.pages_of_type(SectionPage):
            section_path = page_path(section, self.request)
            paths = numbered_page_paths(section_path, counts.get(section.path, 0))
            for number, path in enumerate(paths, start=2):
                entry = groups.setdefault((section.translation_key, number), Entry())
                entry.add(section.locale.language_code, path, section.last_published_at)
        return groups.values()


class AuthorSitemap(I18nSitemap):
    """Author pages, in each language the author has published in."""

    def entries(self):
        from .models import ArticleAuthor

        rows = (
            ArticleAuthor.objects.filter(page__in=self.content.articles())
            .values("author__slug", "page__locale__language_code")
            .annotate(lastmod=Max("page__last_published_at"))
            .order_by("author__slug", "page__locale__language_code")
        )
        groups = {}
        for row in rows:
            home_path = self.content.home_paths.get(row["page__locale__language_code"])
            if home_path is None:
                continue
            slug = row["author__slug"]
            path = author_path(home_path, slug)
            groups.setdefault(slug, Entry()).add(
                row["page__locale__language_code"], path, row["lastmod"]
            )
        return groups.values()


class TagSitemap(I18nSitemap):
    """Tag pages, in each language with articles carrying the tag."""

    def entries(self):
        from .models import ArticleTag

        rows = (
            ArticleTag.objects.filter(content_object__in=self.content.articles())
            .values("tag__slug", "content_object__locale__language_code")
            .annotate(lastmod=Max("content_object__last_published_at"))
            .order_by("tag__slug", "content_object__locale__language_code")
        )
        groups = {}
        for row in rows:
            language_code = row["content_object__locale__language_code"]
            home_path = self.content.home_paths.get(language_code)
            if home_path is None:
                continue
            slug = row["tag__slug"]
            path = tag_path(home_path, slug)
            groups.setdefault(slug, Entry()).add(language_code, path, row["lastmod"])
        return groups.values()


def w3c_datetime(value):
    """2026-11-27T09:30:00+00:00: what Google News asks for, without microseconds."""
    return timezone.localtime(value).replace(microsecond=0).isoformat()


class NewsSitemap(Sitemap):
    """Articles first published in the last two days, newest first, for Google News."""

    limit = NEWS_LIMIT
    get_domain = I18nSitemap.get_domain
    get_protocol = I18nSitemap.get_protocol

    def __init__(self, request, now=None):
        self.request = request
        self.content = SiteContent.for_request(request)
        self.now = now or timezone.now()
        self._articles = None

    def items(self):
        if self._articles is None:
            self._articles = list(
                self.content.articles()
                .filter(first_published_at__gte=self.now - NEWS_MAX_AGE)
                .select_related("locale")
                .order_by("-first_published_at", "-pk")[:NEWS_LIMIT]
            )
            for article in self._articles:
                article.news_publication_date = w3c_datetime(article.first_published_at)
        return self._articles

    def location(self, item):
        return page_path(item, self.request)

    def lastmod(self, item):
        return item.modified


def sitemaps_for(request):
    return {
        "pages": PageSitemap(request),
        "listings": SectionListingSitemap(request),
        "authors": AuthorSitemap(request),
        "tags": TagSitemap(request),
    }


def sitemap(request):
    """Every public page of the site, with its translations as hreflang alternates."""
    return sitemap_view(request, sitemaps_for(request))


def news_sitemap(request):
    return sitemap_view(
        request, {"news": NewsSitemap(request)}, template_name="news/sitemaps/news_sitemap.xml"
    )
