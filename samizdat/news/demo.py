"""Builds the demo newsroom in code: homes, sections, authors, images, articles.

Idempotent: pages are found by slug and locale, so running it twice changes
nothing. `extra_articles` adds generated stories for benchmarks.
"""

import datetime
import io
import random
import zlib

from django.apps import apps
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting
from wagtail.models import Locale, Page, Site

from samizdat.images.models import CustomImage

from .demo_content import (
    ARTICLES,
    AUTHORS,
    IMAGE_TEXT_RU,
    OUTLET,
    SECTIONS,
    STANDARD_PAGES,
    TOP_STORIES,
)
from .models import (
    ArticleAuthor,
    ArticlePage,
    ArticleRelatedLink,
    Author,
    HomePage,
    HomePageTopStory,
    OutletSettings,
    SectionPage,
    StandardPage,
)
from .roles import EDITOR, ensure_groups, ensure_locales, ensure_review_workflow

PALETTE = ["#8c2d19", "#1f4e79", "#2e6b30", "#6b2e6b", "#7a5c00", "#30545c"]


def draw_picture(title, seed, size=(1440, 810)):
    """A simple abstract picture drawn with Pillow, as JPEG bytes."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, PALETTE[seed % len(PALETTE)])
    draw = ImageDraw.Draw(image)
    for _ in range(14):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        x1, y1 = x0 + rng.randrange(80, 700), y0 + rng.randrange(60, 500)
        shade = tuple(rng.randrange(40, 230) for _ in range(3))
        if rng.random() < 0.5:
            draw.ellipse((x0, y0, x1, y1), fill=shade)
        else:
            draw.rectangle((x0, y0, x1, y1), fill=shade)
    draw.text((40, size[1] - 60), title[:60], fill="#ffffff")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def get_or_create_image(title, seed, credit, caption):
    image = CustomImage.objects.filter(title=title).first()
    if image is None:
        data = draw_picture(title, seed)
        image = CustomImage(
            title=title, caption=caption, credit=credit, description=caption or title
        )
        image.file = ImageFile(io.BytesIO(data), name=f"demo-{seed}.jpg")
        image.save()
    return image


def ensure_site_settings(site):
    """Create every app's site settings now rather than on a reader's first visit."""
    for model in apps.get_models():
        if issubclass(model, BaseSiteSetting):
            model.for_site(site)
        elif issubclass(model, BaseGenericSetting):
            model.load()


def ensure_outlet(site):
    settings_obj = OutletSettings.for_site(site)
    default_name = OutletSettings._meta.get_field("name").default
    for field, value in OUTLET.items():
        current = getattr(settings_obj, field)
        if not current or (field == "name" and current == default_name):
            setattr(settings_obj, field, value)
    settings_obj.save()


def ensure_home(locales):
    """The English home as the Site's root and its Russian translation."""
    root = Page.get_first_root_node()
    home = HomePage.objects.filter(locale=locales["en"]).first()
    if home is None:
        # Wagtail's own "Welcome" page holds the slug "home"; its Site goes with it.
        for welcome in root.get_children().filter(slug="home"):
            if welcome.specific_class is Page and not welcome.get_children().exists():
                welcome.delete()
        home = HomePage(title=OUTLET["name"], slug="home", locale=locales["en"])
        root.add_child(instance=home)
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        site = Site.objects.create(hostname="localhost", port=80, root_page=home,
                                   is_default_site=True, site_name=OUTLET["name"])
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
    homes = {"en": home}
    for code, locale in locales.items():
        if code == "en":
            continue
        translated = home.get_translation_or_none(locale)
        if translated is None:
            translated = home.copy_for_translation(locale)
            translated.save_revision().publish()
        homes[code] = translated.specific
    return site, homes


def ensure_sections(homes, locales):
    sections = {}
    for code, home in homes.items():
        for spec in SECTIONS:
            title = spec["title"][code]
            section = SectionPage.objects.child_of(home).filter(slug=spec["slug"]).first()
            if section is None:
                en_section = sections.get(("en", spec["slug"]))
                if en_section is not None:
                    section = en_section.copy_for_translation(locales[code])
                    section.title = title
                    section.intro = spec["intro"][code]
                    section.save_revision().publish()
                else:
                    section = SectionPage(title=title, slug=spec["slug"], intro=spec["intro"][code])
                    home.add_child(instance=section)
                    section.save_revision().publish()
            sections[(code, spec["slug"])] = section.specific
    return sections


def ensure_authors():
    authors = {}
    for spec in AUTHORS:
        author, _created = Author.objects.get_or_create(
            slug=spec["slug"],
            defaults={k: v for k, v in spec.items() if k != "slug"},
        )
        authors[spec["slug"]] = author
    return authors


def body_blocks(spec, images, language="en"):
    """The StreamField data of an article: paragraphs plus its optional blocks."""
    body = [{"type": "paragraph", "value": f"<p>{p}</p>"} for p in spec["body"]]
    if spec.get("figure"):
        title = spec["figure"]["title"]
        # The picture's own text is English: a Russian article says it in Russian.
        caption, alt = IMAGE_TEXT_RU.get(title, ("", "")) if language == "ru" else ("", "")
        body.insert(min(3, len(body)), {"type": "image", "value": {
            "image": images[title].pk, "caption": caption, "alt": alt}})
    if spec.get("subheading"):
        body.insert(min(2, len(body)), {"type": "heading", "value": spec["subheading"]})
    if spec.get("quote"):
        body.insert(min(4, len(body)), {"type": "pull_quote", "value": {
            "quote": spec["quote"], "attribution": spec.get("quote_by", "")}})
    if spec.get("embed"):
        embed = spec["embed"]
        body.append({"type": "embed", "value": {
            "url": embed["url"], "title": embed["title"], "provider": embed.get("provider", ""),
            "thumbnail": images[embed["thumbnail"]["title"]].pk}})
    return body


def publish_article(section, spec, authors, image, published_at, translation_of=None,
                    images=None, picks=()):
    """Create and publish one article unless a page with its slug exists there.

    With `translation_of` the article is a translation of that page (same
    translation key); without it, a new page directly under `section` in the
    section's language (how Russian-only stories are made).
    """
    existing = ArticlePage.objects.child_of(section).filter(slug=spec["slug"]).first()
    if existing is not None:
        return existing
    fields = {
        "title": spec["title"],
        "slug": spec["slug"],
        "standfirst": spec["standfirst"],
        "lead_image": image,
        "body": body_blocks(spec, images or {}, section.locale.language_code),
        "first_published_at": published_at,
    }
    if section.locale.language_code == "ru" and image is not None:
        # The picture's own caption and description are English: say it in Russian here.
        caption, alt = IMAGE_TEXT_RU.get(image.title, ("", ""))
        fields.update(lead_image_caption=caption, lead_image_alt=alt)
    if translation_of is not None:
        article = translation_of.copy_for_translation(section.locale, copy_parents=False)
        for key, value in fields.items():
            setattr(article, key, value)
        article.save()
    else:
        article = ArticlePage(locale=section.locale, **fields)
        section.add_child(instance=article)
    wanted = [authors[slug] for slug in spec["authors"]]
    # A translation arrives with the original's bylines: replacing equal rows would
    # only leave the task worker reference-index jobs for rows that no longer exist.
    if [link.author for link in article.article_authors.all()] != wanted:
        article.article_authors = [ArticleAuthor(author=author) for author in wanted]
    article.related_links = [ArticleRelatedLink(article=pick) for pick in picks]
    article.tags.set(spec.get("tags", []))
    article.save_revision().publish()
    ArticlePage.objects.filter(pk=article.pk).update(
        first_published_at=published_at, last_published_at=published_at
    )
    return article


def ensure_standard_pages(homes, locales):
    """About and Privacy in every language (translations of the English pages)."""
    for spec in STANDARD_PAGES:
        english = None
        for code, home in homes.items():
            page = StandardPage.objects.child_of(home).filter(slug=spec["slug"]).first()
            if page is None:
                body = [{"type": "paragraph", "value": f"<p>{p}</p>"}
                        for p in spec["body"][code]]
                if english is not None:
                    page = english.copy_for_translation(locales[code], copy_parents=False)
                    page.title, page.body = spec["title"][code], body
                    page.save()
                else:
                    page = StandardPage(title=spec["title"][code], slug=spec["slug"], body=body)
                    home.add_child(instance=page)
                page.save_revision().publish()
            if code == "en":
                english = page


def demo_images():
    """Every picture the demo articles use, keyed by title, drawn once."""
    specs = {}
    for spec in ARTICLES:
        embed = spec.get("embed") or {}
        for image in (spec["image"], spec.get("figure"), embed.get("thumbnail")):
            if image:
                specs.setdefault(image["title"], image)
    return {
        title: get_or_create_image(title, zlib.crc32(title.encode()), image["credit"],
                                   image["caption"])
        for title, image in specs.items()
    }


@transaction.atomic
def build_demo_site(now=None):
    """Everything `manage.py load_demo` creates; returns the homes by language."""
    now = now or timezone.now()
    ensure_locales()
    locales = {code: Locale.objects.get(language_code=code) for code in ("en", "ru")}
    site, homes = ensure_home(locales)
    ensure_outlet(site)
    ensure_site_settings(site)
    groups = ensure_groups()
    ensure_review_workflow(homes.values(), groups[EDITOR])
    sections = ensure_sections(homes, locales)
    ensure_standard_pages(homes, locales)
    authors = ensure_authors()
    images = demo_images()
    created = {}
    for index, spec in enumerate(ARTICLES):
        published_at = now - datetime.timedelta(hours=spec.get("hours_ago", 6 + index * 9))
        code = spec.get("language", "en")
        source = created.get(("en", spec.get("translation_of"))) if code != "en" else None
        picks = [created[(code, slug)] for slug in spec.get("picks", [])]
        article = publish_article(
            sections[(code, spec["section"])], spec, authors, images[spec["image"]["title"]],
            published_at, source, images=images, picks=picks,
        )
        created[(code, spec["slug"])] = article
    ensure_top_stories(homes, created)
    return homes


def ensure_top_stories(homes, articles):
    """The editors' picks on each front page, unless an editor has chosen some already."""
    for code, stale in homes.items():
        home = HomePage.objects.get(pk=stale.pk)  # the tree changed below it since it was read
        if home.top_stories.exists():
            continue
        home.top_stories = [HomePageTopStory(article=articles[(code, slug)])
                            for slug in TOP_STORIES.get(code, []) if (code, slug) in articles]
        home.save_revision().publish()


def extra_articles(count, now=None, language="en", translate_every=0):
    """Build the demo site, then add `count` generated articles (for benchmarks),
    spread over its sections, written in bulk (demo_generated.py: about a hundred
    a second where publishing each one took a second)."""
    from .demo_generated import generate_articles

    now = now or timezone.now()
    build_demo_site(now)
    generate_articles(count, now - datetime.timedelta(days=40), language=language,
                      translate_every=translate_every)
