"""Template helpers shared by every reader-facing page."""

import re
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info
from wagtail.models import Page

from ..cards import page_url, subpage_url
from ..models import HomePage

register = template.Library()
PAGINATION_SUFFIX = re.compile(r"page/\d+/$")


@register.simple_tag(takes_context=True)
def current_home(context):
    request = context.get("request")
    if request is None:
        return None
    return HomePage.for_request(request, get_language() or settings.LANGUAGE_CODE)


@register.simple_tag(takes_context=True)
def section_nav(context):
    """Live sections of the current language's home, in tree order."""
    from ..loader import sections

    request = context.get("request")
    found = sections(request, current_home(context))
    if request is not None:
        request._samizdat_sections = found  # seo.article_section reads them
    return found


@register.simple_tag(takes_context=True)
def language_links(context):
    """[(code, name, url, is_current)] linking to this page in each language.

    A link goes to the translated page itself (never a cookie-setting
    language view); a page without a translation links to that language's home.
    """
    request = context.get("request")
    page = context.get("page")
    current = get_language() or settings.LANGUAGE_CODE
    links = []
    translations = {}
    suffix = ""
    if isinstance(page, Page) and page.pk:
        # Routes below a page (authors/x/, page/2/) keep their place.
        own_url = page_url(request, page) if request is not None else None
        if own_url and request is not None and request.path.startswith(own_url):
            suffix = request.path[len(own_url):]
            # Page N of a listing need not exist in the other language.
            suffix = PAGINATION_SUFFIX.sub("", suffix)
            # A search keeps its words: the reader wants the same search in the other
            # language, not an empty form (only q: nothing else of the URL travels).
            query = request.GET.get("q", "").strip()
            if query and suffix == HomePage.get_resolver().reverse("search_page"):
                suffix += "?" + urlencode({"q": query})
        from ..translations import translations as live_translations

        translations = live_translations(request, page)
    for code, _name in settings.LANGUAGES:
        name = get_language_info(code)["name_local"]
        url = None
        exact = False
        if code in translations:
            url = page_url(request, translations[code])
            url = url + suffix if url else url
            exact = True
        elif request is not None and not isinstance(page, Page):
            url = translate_url(request.path, code)
            exact = url != request.path or code == current
        if url is None and request is not None:
            home = HomePage.for_request(request, code)
            url = page_url(request, home) if home else None
        if url:
            links.append(
                {"code": code, "name": name, "url": url, "current": code == current, "exact": exact}
            )
    return links


@register.simple_tag(takes_context=True)
def hreflang_links(context):
    """<link rel=alternate hreflang> of this page: see seo.alternates (the sitemap's too)."""
    from ..seo import alternates

    return alternates(context.get("request"), context.get("page"))


@register.simple_tag
def locale_name(code):
    return dict(settings.LANGUAGES).get(code, code)


@register.filter
def tagline_for(outlet_settings, language_code):
    # Without a Wagtail Site for the host the settings lookup fails quietly and
    # hands us the template engine's empty string: no tagline, not a 500.
    if not hasattr(outlet_settings, "tagline_for"):
        return ""
    return outlet_settings.tagline_for(language_code)


@register.filter
def bio_for(author, language_code):
    return author.bio_for(language_code)


def _outlet_name(context):
    from ..models import OutletSettings

    request = context.get("request")
    if request is None:
        return ""
    try:
        return OutletSettings.for_request(request).name
    except OutletSettings.DoesNotExist:  # no Site matches this host yet
        return OutletSettings._meta.get_field("name").default


@register.simple_tag(takes_context=True)
def discovery_links(context):
    """{canonical, feeds} for <head>: see seo.head_links."""
    from ..models import Author
    from ..seo import head_links

    author = context.get("author")
    return head_links(
        context.get("request"),
        page=context.get("page"),
        author=author if isinstance(author, Author) else None,
        outlet_name=_outlet_name(context),
    )


@register.simple_tag(takes_context=True)
def listing_metadata(context):
    """OpenGraph data for home, section, tag and author pages: see seo.listing_metadata."""
    from taggit.models import Tag

    from ..models import Author, OutletSettings
    from ..seo import listing_metadata as build

    request = context.get("request")
    try:
        outlet = OutletSettings.for_request(request) if request is not None else None
    except OutletSettings.DoesNotExist:
        outlet = None
    author, tag = context.get("author"), context.get("tag")
    return build(request, context.get("page"), outlet,
                 tag=tag if isinstance(tag, Tag) else None,
                 author=author if isinstance(author, Author) else None)


@register.simple_tag(takes_context=True)
def article_metadata(context, page):
    """Canonical, OpenGraph, Twitter and JSON-LD data for an article: see seo.article_metadata."""
    from ..seo import article_metadata as build

    return build(page, context.get("request"), _outlet_name(context))


@register.filter
def on_primary_site(path):
    """A path as an absolute URL on SITE_URL: never the request's Host header, which a
    client chooses (a cached page would carry its choice to every reader)."""
    from ..seo import primary_url

    return primary_url(str(path))


@register.filter
def datetime_attr(value):
    """A <time datetime> value: ISO 8601 in the current time zone, to the second
    (HTML allows no more than three decimals; readers need none)."""
    if not value:
        return ""
    from django.utils import timezone

    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(microsecond=0).isoformat()


@register.simple_tag(takes_context=True)
def site_icons(context):
    """<link rel=icon> data: the admin's icon or the shipped ones (see icons.py)."""
    from ..icons import icon_links
    from ..loader import cached
    from ..models import OutletSettings

    request = context.get("request")
    if request is None:
        return icon_links(None)
    try:
        outlet = OutletSettings.for_request(request)
    except OutletSettings.DoesNotExist:
        return icon_links(None)
    return cached(request, ("icons", outlet.pk), lambda: icon_links(outlet))


@register.simple_tag(takes_context=True)
def cards(context, articles):
    """The articles of a list as news.cards.Card, what partials/article_card.html shows."""
    from ..cards import listing_cards

    return listing_cards(context.get("request"), articles)


@register.simple_tag(takes_context=True)
def byline(context, authors):
    """partials/byline.html for these authors, as markup (see news.cards.byline)."""
    from ..cards import byline as build
    from ..cards import current_home

    request = context.get("request")
    return build(request, authors, current_home(request))


# Wagtail's {% pageurl %} and {% routablepageurl %}, for templates that load news_tags
# after wagtailcore_tags and wagtailroutablepage_tags (base.html and the news pages):
# the same URLs, kept per process (news.cards.page_url, subpage_url).

@register.simple_tag(takes_context=True)
def pageurl(context, page, fallback=None):
    from django.shortcuts import resolve_url

    if page is None and fallback:
        return resolve_url(fallback)
    if not isinstance(page, Page):
        raise ValueError(f"pageurl tag expected a Page object, got {page!r}")
    return page_url(context.get("request"), page)


@register.simple_tag(takes_context=True)
def routablepageurl(context, page, url_name, *args, **kwargs):
    request = context["request"]
    if kwargs:
        from wagtail.contrib.routable_page.templatetags.wagtailroutablepage_tags import (
            routablepageurl as wagtails,
        )

        return wagtails(context, page, url_name, *args, **kwargs)
    return subpage_url(request, page, url_name, *args)


CARD_TEMPLATE = "news/partials/article_card.html"


@register.simple_tag(takes_context=True)
def article_card(context, card, **values):
    """{% include "news/partials/article_card.html" with article=card ... %}, kept per
    process by everything the card shows (its values, the include's, the language and
    time zone its date is written in): a card's markup is a function of those alone
    (its picture's is kept under the page cache's generation, as here)."""
    from django.utils import timezone
    from django.utils.safestring import mark_safe

    from ..loader import memo

    def render():
        template = context.template.engine.get_template(CARD_TEMPLATE)
        with context.push(article=card, **values):
            return mark_safe(template.render(context))

    shown = {name: context.get(name) for name in ("level", "lead", "show_standfirst")}
    shown.update(values)
    image = card.lead_image
    key = (card.pk, card.title, card.standfirst, card.first_published_at, card.url,
           image.pk if image else None, str(card.byline), tuple(sorted(shown.items())),
           get_language(), timezone.get_current_timezone_name())
    try:
        hash(key)
    except TypeError:
        return render()
    return memo(context.get("request"), "card", key, render, limit=3000)


FRONT_STORY_TEMPLATE = "news/partials/front_story.html"


@register.simple_tag(takes_context=True)
def front_story(context, article, **values):
    """{% include "news/partials/front_story.html" with article=article ... %}, kept per
    process by everything the story shows (as article_card: its fields, its URL, its
    byline's authors when it has one, the include's values, language and time zone)."""
    from django.utils import timezone
    from django.utils.safestring import mark_safe

    from ..loader import memo

    def render():
        template = context.template.engine.get_template(FRONT_STORY_TEMPLATE)
        with context.push(article=article, **values):
            return mark_safe(template.render(context))

    request = context.get("request")
    shown = {name: context.get(name) for name in ("lead", "picture")}
    shown.update(values)
    authors = (tuple((a.pk, a.name, a.slug) for a in article.authors) if shown["lead"]
               else ())
    key = (article.pk, article.title, article.standfirst, article.first_published_at,
           page_url(request, article), article.lead_image_id, authors,
           tuple(sorted(shown.items())), get_language(),
           timezone.get_current_timezone_name())
    try:
        hash(key)
    except TypeError:
        return render()
    return memo(request, "front-story", key, render, limit=3000)
