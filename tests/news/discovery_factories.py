"""Builders for the feed, sitemap and SEO tests: published articles with known content."""

import datetime
import io
import itertools

from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image
from wagtail.models import Locale

from samizdat.images.models import CustomImage
from samizdat.news.models import ArticleAuthor, ArticlePage, Author, HomePage, SectionPage

_numbers = itertools.count(1)


def newsroom():
    """Homes, sections, authors and outlet of the demo site, without its articles.

    Much faster than the full demo; tests add the articles they count on.
    """
    from samizdat.news.demo import ensure_authors, ensure_home, ensure_outlet, ensure_sections
    from samizdat.news.roles import ensure_locales

    ensure_locales()
    locales = {code: Locale.objects.get(language_code=code) for code in ("en", "ru")}
    site, homes = ensure_home(locales)
    ensure_outlet(site)
    ensure_sections(homes, locales)
    ensure_authors()
    return homes


def home(language="en"):
    return HomePage.objects.get(locale__language_code=language)


def section(slug="news", language="en"):
    return SectionPage.objects.child_of(home(language)).get(slug=slug)


def author(slug, name=None):
    found, _created = Author.objects.get_or_create(slug=slug, defaults={"name": name or slug})
    return found


def picture(title="Test picture", credit="Test credit", size=(1600, 900)):
    out = io.BytesIO()
    Image.new("RGB", size, "#336699").save(out, format="JPEG")
    image = CustomImage(title=title, caption=f"{title} caption", credit=credit)
    image.file = ImageFile(io.BytesIO(out.getvalue()), name=f"test-{next(_numbers)}.jpg")
    image.save()
    return image


def publish_article(
    parent,
    title,
    *,
    authors,
    slug=None,
    standfirst="A standfirst.",
    body=None,
    tags=(),
    image=None,
    published_at=None,
    live=True,
):
    """An article under `parent`, published (unless live=False) at `published_at`."""
    number = next(_numbers)
    article = ArticlePage(
        title=title,
        slug=slug or f"test-article-{number}",
        live=False,
        standfirst=standfirst,
        lead_image=image,
        body=body if body is not None else [
            {"type": "paragraph", "value": f"<p>Full text of story {number}.</p>"},
            {"type": "heading", "value": "A subheading"},
            {"type": "paragraph", "value": "<p>The last paragraph of the story.</p>"},
        ],
    )
    parent.add_child(instance=article)
    article.article_authors = [ArticleAuthor(author=person) for person in authors]
    article.tags.set(list(tags))
    revision = article.save_revision()
    if live:
        revision.publish()
        if published_at is not None:
            ArticlePage.objects.filter(pk=article.pk).update(
                first_published_at=published_at, last_published_at=published_at
            )
    return ArticlePage.objects.get(pk=article.pk)


def translate(article, language, title):
    """The article copied into `language` (its section must exist there) and published."""
    translated = article.copy_for_translation(Locale.objects.get(language_code=language))
    translated.title = title
    translated.save_revision().publish()
    return ArticlePage.objects.get(pk=translated.pk)


def minutes_ago(minutes):
    return timezone.now() - datetime.timedelta(minutes=minutes)
