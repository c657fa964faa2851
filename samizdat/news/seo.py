"""Canonical links, feed announcements, OpenGraph/Twitter tags and NewsArticle JSON-LD.

Canonical and OpenGraph URLs name the primary site (settings.SITE_URL), never
the host a request came in on: mirrors serve the same HTML, and search
engines and link previews must credit the original address.
"""

import json
import mimetypes
import re

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, Resolver404, reverse
from django.utils.encoding import iri_to_uri
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, to_locale
from wagtail.images.models import SourceImageIOError

# OpenGraph wants language_TERRITORY; Django's to_locale() covers the rest.
OG_LOCALES = {"en": "en_US", "ru": "ru_RU"}

# Google asks for 16x9, 4x3 and 1x1 images of at least 50,000 pixels; the
# first one doubles as the OpenGraph/Twitter image.
SHARE_IMAGE_FILTERS = ("fill-1200x675", "fill-1200x900", "fill-1200x1200")

# What django.utils.html.json_script escapes, so "</script>" in a headline
# cannot end the script element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"


def primary_url(path):
    """`path` (root-relative or absolute) as an absolute URL on the primary site."""
    if path.startswith(("http://", "https://")):
        return path
    if path.startswith("//"):
        return "https:" + path
    return settings.SITE_URL + path


def page_path(page, request=None):
    """A page's root-relative URL, language prefix included."""
    parts = page.get_url_parts(request)
    return parts[2] if parts else None


def home_for(request, language_code):
    """The live home page of a language for the request's site (cached on the request)."""
    from .models import HomePage

    return HomePage.for_request(request, language_code)


def author_path(home, author, request=None):
    return page_path(home, request) + home.reverse_subpage("author", args=[author.slug])


def og_locale(language_code):
    return OG_LOCALES.get(language_code, to_locale(language_code))


def ld_json_script(data):
    """`data` as a <script type="application/ld+json"> element, escaped like json_script."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text.translate(JSON_SCRIPT_ESCAPES)),
    )


def share_images(image):
    """[{url, width, height, type}] of the share renditions of `image`, in one query."""
    if image is None:
        return []
    try:
        renditions = image.get_renditions(*SHARE_IMAGE_FILTERS)
    except SourceImageIOError:
        # The original is missing (a restored database without its media):
        # no image beats a broken one in every link preview.
        return []
    images = []
    for spec in SHARE_IMAGE_FILTERS:
        rendition = renditions[spec]
        url = rendition.url  # asks the storage: once
        images.append(
            {
                "url": primary_url(url),
                "width": rendition.width,
                "height": rendition.height,
                "type": mimetypes.guess_type(url)[0] or "image/jpeg",
            }
        )
    return images


# --- Feeds announced in <head> --------------------------------------------

def _feed_link(kind, name, title, kwargs=None):
    """The RSS and Atom links of one feed (none if its URLs are not installed)."""
    try:
        rss = reverse(f"feeds:{name}_rss", kwargs=kwargs)
        atom = reverse(f"feeds:{name}_atom", kwargs=kwargs)
    except NoReverseMatch:
        return []
    rss_title = gettext("%(title)s (RSS)") % {"title": title}
    atom_title = gettext("%(title)s (Atom)") % {"title": title}
    return [
        {"kind": kind, "type": RSS_TYPE, "url": rss, "title": rss_title},
        {"kind": kind, "type": ATOM_TYPE, "url": atom, "title": atom_title},
    ]


def feed_links(outlet_name, page=None, author=None):
    """The site feed of the current language, plus the section's or author's on their pages."""
    from .models import SectionPage

    links = _feed_link("site", "feed", outlet_name)
    if isinstance(page, SectionPage) and author is None:
        links += _feed_link(
            "section", "section_feed", f"{outlet_name}: {page.title}", {"slug": page.slug}
        )
    if author is not None and getattr(author, "slug", None):
        links += _feed_link(
            "author", "author_feed", f"{outlet_name}: {author.name}", {"slug": author.slug}
        )
    return links


def head_links(request, page=None, author=None, outlet_name=""):
    """What every page's <head> announces: its canonical URL (pages only) and feeds.

    Articles get their canonical link from article_metadata() with the rest of
    their sharing tags, so it is left out here for them.
    """
    from wagtail.models import Page

    from .models import ArticlePage

    canonical = None
    if request is not None and isinstance(page, Page) and not isinstance(page, ArticlePage):
        canonical = primary_url(request.path)
    return {"canonical": canonical, "feeds": feed_links(outlet_name, page, author)}


def listing_metadata(request, page, outlet, tag=None, author=None):
    """OpenGraph data for the home, section, tag and author pages (articles have their own).

    None for any other page.
    """
    from .models import HomePage, SectionPage

    if request is None or not isinstance(page, (HomePage, SectionPage)):
        return None
    language = page.locale.language_code
    outlet_name = outlet.name if outlet is not None else ""
    if author is not None:
        title, description = author.name, author.bio_for(language)
    elif tag is not None:
        title, description = tag.name, ""
    elif isinstance(page, HomePage):
        title = outlet_name
        description = page.search_description or (
            outlet.tagline_for(language) if outlet is not None else "")
    else:
        title = page.seo_title or page.title
        description = page.search_description or page.intro
    return {
        "title": title,
        "description": _plain(description),
        "url": primary_url(request.path),
        "site_name": outlet_name,
        "locale": og_locale(language),
    }


# --- Articles ----------------------------------------------------------------

def _plain(text, limit=300):
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def article_section(page, request=None):
    """The article's section, from the navigation already read for this request if possible."""
    parent_path = page.path[: -page.steplen]
    for section in getattr(request, "_samizdat_sections", None) or []:
        if section.path == parent_path:
            return section
    return page.get_parent()


def article_metadata(page, request, outlet_name):
    """Everything an article's <head> says about it to search engines and link previews."""
    language = page.locale.language_code
    path = page_path(page, request)
    canonical = primary_url(path)
    description = _plain(page.search_description or page.standfirst)
    images = share_images(page.lead_image)
    home = home_for(request, language) if request is not None else None
    authors = []
    for author in page.authors:
        person = {"@type": "Person", "name": author.name}
        if home is not None:
            person["url"] = primary_url(author_path(home, author, request))
        authors.append(person)
    tags = [tag.name for tag in page.tags.all()]
    section = article_section(page, request)
    from .translations import translations

    alternates = [og_locale(code) for code, other in sorted(translations(request, page).items())
                  if other.pk != page.pk]
    published = page.published
    modified = page.modified if published else None
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": page.title,
        "description": description,
        "url": canonical,
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical},
        "datePublished": published.isoformat() if published else None,
        "dateModified": modified.isoformat() if modified else None,
        "author": authors,
        "image": [image["url"] for image in images],
        "publisher": {
            "@type": "Organization",
            "name": outlet_name,
            "url": primary_url(page_path(home, request) if home is not None else "/"),
        },
        "inLanguage": language,
        "articleSection": section.title if section else None,
        "keywords": tags,
        "isAccessibleForFree": True,
    }
    data = {key: value for key, value in data.items() if value not in (None, [], "")}
    return {
        "canonical": canonical,
        "title": page.seo_title or page.title,
        "description": description,
        "site_name": outlet_name,
        "locale": og_locale(language),
        "locale_alternates": alternates,
        "image": images[0] if images else None,
        "image_alt": page.lead_image_alt_text if page.lead_image else "",
        "published": published,
        "modified": modified,
        "section": section.title if section else "",
        "tags": tags,
        "authors": [author.name for author in page.authors],
        "json_ld": ld_json_script(data),
    }


# --- hreflang alternates -------------------------------------------------------
#
# One answer for the HTML <head> and the sitemap: a page names the versions of itself that
# exist with content, in every language it has (itself included), plus x-default for the
# main language's when there is one.

def hreflang_alternates(paths):
    """[{code, url}] for a page that exists at `paths` ({language: root-relative path})."""
    # A request's path arrives decoded (/ru/tags/здоровье/); a link carries it encoded.
    urls = {code: primary_url(iri_to_uri(path)) for code, path in paths.items()}
    links = [{"code": code, "url": urls[code]} for code, _name in settings.LANGUAGES
             if code in urls]
    if settings.LANGUAGE_CODE in urls:
        links.append({"code": "x-default", "url": urls[settings.LANGUAGE_CODE]})
    return links


def alternate_paths(request, page):
    """{language: path} of what `request` shows, in each language it exists in with content:
    the translations of a page; of an author's or tag's list, the languages the author
    wrote in or the tag has articles in; of page N of a section, the sections that have a
    page N. Search results and later pages of author and tag lists have none."""
    from django.urls import translate_url
    from django.utils.translation import get_language
    from wagtail.models import Page

    from .mirror_export import page_count
    from .models import ArticlePage, HomePage, SectionPage
    from .translations import translations as live_translations

    if request is None:
        return {}
    if not isinstance(page, Page) or not page.pk:
        # A view outside the page tree (support, mirrors): the same view in each language.
        # Nothing matched, or Wagtail found no page: a 404 is no version of anything.
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name == "wagtail_serve":
            return {}
        current = get_language()
        paths = {}
        for code, _name in settings.LANGUAGES:
            path = translate_url(request.path, code)
            if path != request.path or code == current:
                paths[code] = path
        return paths if len(paths) > 1 else {}  # a one-language view names none
    translations = {code: t for code, t in live_translations(request, page).items()
                    if page_path(t, request) is not None}
    own = page_path(page, request)
    suffix = request.path[len(own):] if own and request.path.startswith(own) else ""
    if not suffix:
        return {code: page_path(t, request) for code, t in translations.items()}
    try:
        match = page.resolve_subpage("/" + suffix)
    except Resolver404:  # not a route of this page (the path went elsewhere)
        return {}
    name, kwargs = match.url_name, match.kwargs
    articles = ArticlePage.objects.live().public()
    if isinstance(page, HomePage) and name in ("author", "tag"):
        found = articles.filter(**({"article_authors__author__slug": kwargs["slug"]}
                                   if name == "author" else {"tags__slug": kwargs["slug"]}))
        languages = found.languages()
        if page.locale.language_code not in languages:
            return {}  # an empty list ("no articles in this language yet") is no version
        return {code: page_path(t, request) + suffix for code, t in translations.items()
                if code in languages}
    if isinstance(page, SectionPage) and name == "numbered_page":
        return {code: page_path(t, request) + suffix for code, t in translations.items()
                if page_count(articles.child_of(t).count()) >= kwargs["number"]}
    return {}


def alternates(request, page):
    """The hreflang links of the page `request` shows (the sitemap names the same)."""
    return hreflang_alternates(alternate_paths(request, page))
