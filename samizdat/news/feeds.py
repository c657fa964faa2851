"""RSS 2.0 and Atom feeds with the full text: the site, each section, each author.

One feed per language: the URL's language prefix picks the home page whose
articles are listed. Links in the feed are absolute on the host the feed was
fetched from, so a mirror's feed points at the mirror. Feeds set no cookie
and no Cache-Control of their own: the page-cache middleware makes them
public and publishing purges them, like any anonymous page.
"""

import mimetypes
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.http import Http404
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.translation import get_language
from wagtail.images.models import SourceImageIOError

from . import bulk
from .seo import author_path, home_for, page_path

FEED_ITEMS = 20
LEAD_IMAGE_FILTER = "width-960"

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"

# Root-relative URLs in href/src/srcset/poster attributes of our own rendered HTML.
_URL_ATTR = re.compile(r'\b(href|src|poster)="(/(?!/)[^"]*)"')
_SRCSET_ATTR = re.compile(r'\bsrcset="([^"]*)"')


def absolute(url, base):
    """`url` made absolute on `base` if it is root-relative."""
    if url.startswith("/") and not url.startswith("//"):
        return base + url
    return url


def absolutize_html(html, base):
    """Make the root-relative links and images of `html` absolute on `base`.

    Feed readers show the text away from our site, where "/media/x.jpg" means nothing.
    """

    def srcset(match):
        candidates = []
        for candidate in match.group(1).split(","):
            candidates.append(absolute(candidate.strip(), base))
        return 'srcset="{}"'.format(", ".join(candidates))

    html = _URL_ATTR.sub(lambda m: f'{m.group(1)}="{base}{m.group(2)}"', html)
    return _SRCSET_ATTR.sub(srcset, html)


class FullTextRssFeed(Rss201rev2Feed):
    """RSS 2.0 with content:encoded, one dc:creator per author and a media:content image."""

    def rss_attributes(self):
        attrs = super().rss_attributes()
        attrs.update({"xmlns:content": CONTENT_NS, "xmlns:dc": DC_NS, "xmlns:media": MEDIA_NS})
        return attrs

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item["authors"]:
            handler.addQuickElement("dc:creator", author["name"])
        handler.addQuickElement("content:encoded", item["content"])
        add_media(handler, item["image"])


class FullTextAtomFeed(Atom1Feed):
    """Atom with <content type="html">, one <author> per author and a media:content image."""

    def root_attributes(self):
        attrs = super().root_attributes()
        attrs["xmlns:media"] = MEDIA_NS
        return attrs

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        for author in item["authors"]:
            handler.startElement("author", {})
            handler.addQuickElement("name", author["name"])
            if author.get("link"):
                handler.addQuickElement("uri", author["link"])
            handler.endElement("author")
        handler.addQuickElement("content", item["content"], {"type": "html"})
        add_media(handler, item["image"])


def add_media(handler, image):
    if not image:
        return
    handler.startElement(
        "media:content",
        {
            "url": image["url"],
            "medium": "image",
            "type": image["type"],
            "width": str(image["width"]),
            "height": str(image["height"]),
        },
    )
    if image["credit"]:
        handler.addQuickElement("media:credit", image["credit"])
    if image["caption"]:
        handler.addQuickElement("media:description", image["caption"])
    handler.endElement("media:content")


def lead_rendition(article):
    """The feed-sized lead image, or None when there is none or its file is missing."""
    if article.lead_image is None:
        return None
    try:
        return article.lead_image.get_rendition(LEAD_IMAGE_FILTER)
    except SourceImageIOError:
        return None


@dataclass
class FeedSource:
    """What a feed lists, with the request it is built for (feeds are shared by threads)."""

    request: object
    home: object
    base: str
    section: object = None
    author: object = None

    @property
    def outlet_name(self):
        from .models import OutletSettings

        return OutletSettings.for_request(self.request).name


def with_feed_relations(queryset):
    """Articles with everything a feed item shows, in a fixed number of queries."""
    from .models import ArticleAuthor, ArticleTag

    return queryset.select_related("lead_image", "locale").prefetch_related(
        Prefetch("article_authors", queryset=ArticleAuthor.objects.select_related("author")),
        Prefetch("tagged_items", queryset=ArticleTag.objects.select_related("tag")),
        "lead_image__renditions",
    )


class ArticleFeed(Feed):
    """The site's latest articles in the current language."""

    feed_type = FullTextRssFeed

    def get_object(self, request, *args, **kwargs):
        home = home_for(request, get_language() or settings.LANGUAGE_CODE)
        if home is None:
            raise Http404("No home page in this language.")
        # Links from SITE_URL, never the Host header (a cached feed would keep it).
        return FeedSource(request=request, home=home, base=settings.SITE_URL)

    def articles(self, source):
        return source.home.articles()

    def items(self, source):
        articles = list(with_feed_relations(self.articles(source))[:FEED_ITEMS])
        for article in articles:
            article.feed_source = source
        return articles

    def title(self, source):
        return source.outlet_name

    def link(self, source):
        return absolute(page_path(source.home, source.request), source.base)

    def feed_url(self, source):
        return source.base + source.request.path

    def description(self, source):
        from .models import OutletSettings

        outlet = OutletSettings.for_request(source.request)
        return outlet.tagline_for(get_language()) or outlet.name

    def feed_copyright(self, source):
        return f"© {source.outlet_name}"

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return escape(item.standfirst)

    def item_link(self, item):
        return absolute(page_path(item, item.feed_source.request), item.feed_source.base)

    def item_guid(self, item):
        # Stable across slug changes and mirrors: the primary host and the page id.
        host = urlsplit(settings.SITE_URL).hostname or "localhost"
        day = item.published.date().isoformat() if item.published else "2000-01-01"
        return f"tag:{host},{day}:page-{item.pk}"

    def item_guid_is_permalink(self, item):
        return False

    def item_pubdate(self, item):
        return item.published

    def item_updateddate(self, item):
        return item.modified if item.published else None

    def item_categories(self, item):
        return [tagged.tag.name for tagged in item.tagged_items.all()]

    def item_extra_kwargs(self, item):
        source = item.feed_source
        authors = [
            {"name": author.name, "link": self.author_url(source, author)}
            for author in item.authors
        ] or [{"name": source.outlet_name, "link": None}]
        lead = lead_rendition(item)
        return {
            "authors": authors,
            "content": self.item_content(item, lead),
            "image": self.item_image(item, lead),
        }

    def author_url(self, source, author):
        return source.base + author_path(source.home, author, source.request)

    def item_image(self, item, lead):
        if lead is None:
            return None
        return {
            "url": absolute(lead.url, item.feed_source.base),
            "width": lead.width,
            "height": lead.height,
            "type": mimetypes.guess_type(lead.url)[0] or "image/jpeg",
            "credit": item.lead_image.credit,
            "caption": item.caption,
        }

    def item_content(self, item, lead):
        source = item.feed_source

        def build():
            html = render_to_string(
                "news/feeds/item_content.html", {"page": item, "lead": lead},
                request=source.request)
            return absolutize_html(html.strip(), source.base)

        # The static export renders each article's full text once, not once for each
        # feed that lists it (the site's, its section's, tags', authors', RSS and Atom).
        store = bulk.active()
        if store is None or item.pk is None:
            return build()
        key = (item.pk, source.base, get_language(), lead.url if lead is not None else None)
        return store.memo("feed-content", key, build)


class ArticleAtomFeed(ArticleFeed):
    feed_type = FullTextAtomFeed

    def subtitle(self, source):
        return self.description(source)


class SectionFeed(ArticleFeed):
    """One section's latest articles; an unknown or unpublished section is a 404."""

    def get_object(self, request, slug):
        from .models import SectionPage

        source = super().get_object(request)
        source.section = SectionPage.objects.live().public().child_of(source.home).get(slug=slug)
        return source

    def articles(self, source):
        return source.section.articles()

    def title(self, source):
        return f"{source.outlet_name}: {source.section.title}"

    def link(self, source):
        return absolute(page_path(source.section, source.request), source.base)

    def description(self, source):
        return source.section.intro or source.section.title


class SectionAtomFeed(SectionFeed):
    feed_type = FullTextAtomFeed

    def subtitle(self, source):
        return self.description(source)


class AuthorFeed(ArticleFeed):
    """One author's latest articles in this language; an unknown author is a 404."""

    def get_object(self, request, slug):
        from .models import Author

        source = super().get_object(request)
        source.author = Author.objects.get(slug=slug)
        return source

    def articles(self, source):
        return source.home.articles().by_author(source.author)

    def title(self, source):
        return f"{source.outlet_name}: {source.author.name}"

    def link(self, source):
        return absolute(author_path(source.home, source.author, source.request), source.base)

    def description(self, source):
        return source.author.bio_for(get_language()) or source.author.name


class AuthorAtomFeed(AuthorFeed):
    feed_type = FullTextAtomFeed

    def subtitle(self, source):
        return self.description(source)
