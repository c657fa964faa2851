"""Articles written in bulk for benchmarks (news/demo_generated.py) are real pages: a
reader finds and reads them everywhere a published article shows, an editor edits and
republishes them, and the page tree stays sound."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import Page, ReferenceIndex, Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from samizdat.news.demo_generated import generate_articles
from samizdat.news.models import ArticlePage, SectionPage
from tests.support.test_staff import login_verified

COUNT = 50


@pytest.fixture
def generated(demo_site):
    # Dated from now back: newer than the hand-written stories, so on the first pages.
    generate_articles(COUNT, timezone.now(), translate_every=5, batch=20)
    english = list(ArticlePage.objects.filter(slug__startswith="generated-",
                                              locale__language_code="en")
                   .order_by("-first_published_at"))
    assert len(english) == COUNT
    return english


def html(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def links(xml):
    """The paths of the absolute article links in a feed or sitemap."""
    return set(re.findall(r"<(?:link|loc)>https?://[^/<]+(/[^<]*)</(?:link|loc)>", xml))


def no_tree_problems():
    return all(not problems for problems in Page.find_problems())


@pytest.mark.django_db
def test_generated_articles_render_with_their_bylines_tags_and_translations(client, generated):
    assert no_tree_problems()
    russian = ArticlePage.objects.filter(slug__startswith="generated-",
                                         locale__language_code="ru")
    assert russian.count() == COUNT // 5
    for article in generated:
        page = html(client, article.url)
        assert article.title in page
        assert article.authors[0].name in page
        for tag in article.tags.all():
            assert f"/tags/{tag.slug}/" in page
        assert article.get_parent().specific_class is SectionPage
        revision = article.latest_revision
        assert revision is not None and article.live_revision_id == revision.pk
        assert revision.as_object().title == article.title
        # The admin's "usage" of the lead image knows the article.
        assert ReferenceIndex.get_references_to(article.lead_image).filter(
            object_id=str(article.pk)).exists()
    first = generated[0]
    translation = first.get_translation(russian.first().locale)
    assert translation.translation_key == first.translation_key
    assert translation.url.startswith("/ru/")
    assert translation.title in html(client, translation.url)
    alternates = dict(re.findall(r'hreflang="([\w-]+)" href="https?://[^/"]+([^"]*)"',
                                 html(client, first.url)))
    assert alternates["ru"] == translation.url, alternates


@pytest.mark.django_db
def test_generated_articles_are_listed_in_sections_tags_authors_home_feeds_and_sitemap(
        client, generated):
    listings = {}
    for article in generated:
        urls = [article.get_parent().url, f"/authors/{article.authors[0].slug}/",
                *(f"/tags/{tag.slug}/" for tag in article.tags.all())]
        for url in urls:
            if url not in listings:
                listings[url] = html(client, url)
            assert f'href="{article.url}"' in listings[url], (article.url, url)

    home = html(client, "/")
    for article in generated[:10]:  # the latest list
        assert f'href="{article.url}"' in home
    ru_home = html(client, "/ru/")
    newest_ru = ArticlePage.objects.filter(locale__language_code="ru").live().order_by(
        "-first_published_at").first()
    assert newest_ru.slug.startswith("generated-") and f'href="{newest_ru.url}"' in ru_home

    feed = html(client, "/feeds/rss/")
    assert generated[0].url in links(feed)
    for section in {a.get_parent().slug for a in generated}:
        newest = next(a for a in generated if a.get_parent().slug == section)
        assert newest.url in links(html(client, f"/feeds/sections/{section}/rss/"))

    sitemap = html(client, "/sitemap.xml")
    listed = links(sitemap)
    generated_ru = ArticlePage.objects.filter(slug__startswith="generated-",
                                              locale__language_code="ru")
    assert {a.url for a in [*generated, *generated_ru]} <= listed


@pytest.mark.django_db
def test_site_search_finds_a_generated_article(client, generated):
    article = generated[12]
    number = article.slug.rsplit("-", 1)[1]
    words = re.sub(r"[^\w\s]", " ", article.title).split()
    page = client.get("/search/", {"q": " ".join(words)}).content.decode()
    assert f'href="{article.url}"' in page
    assert number in words


@pytest.mark.django_db
def test_an_editor_edits_and_republishes_a_generated_article(client, generated):
    article = generated[3]
    admin = get_user_model().objects.create_superuser("chief", "chief@example.org", "pw-1234-x")
    login_verified(client, admin)
    edit_url = f"/admin/pages/{article.pk}/edit/"
    form = html(client, edit_url)
    assert article.title in form
    revisions = Revision.objects.filter(object_id=str(article.pk)).count()
    data = nested_form_data({
        "title": "Corrected headline",
        "slug": article.slug,
        "standfirst": article.standfirst,
        "lead_image": article.lead_image_id,
        "lead_image_caption": "",
        "lead_image_alt": "",
        "article_authors": inline_formset([{"author": article.authors[0].pk}], min=1),
        "body": streamfield([("paragraph", rich_text("<p>Corrected text.</p>"))]),
        "tags": ", ".join(tag.name for tag in article.tags.all()),
        "related_links": inline_formset([], max=6),
        "comments": inline_formset([]),
        "seo_title": "", "search_description": "", "go_live_at": "", "expire_at": "",
        "updated_at": "",
        "action-publish": "publish",
    })
    response = client.post(edit_url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    article.refresh_from_db()
    assert article.title == "Corrected headline" and article.live
    assert not article.has_unpublished_changes
    assert Revision.objects.filter(object_id=str(article.pk)).count() == revisions + 1
    client.logout()
    page = html(client, article.url)
    assert "Corrected headline" in page and "Corrected text." in page
    assert no_tree_problems()


@pytest.mark.django_db
def test_a_second_run_adds_after_the_first_and_keeps_the_tree_sound(generated):
    generate_articles(7, timezone.now())
    slugs = set(ArticlePage.objects.filter(locale__language_code="en",
                                           slug__startswith="generated-")
                .values_list("slug", flat=True))
    assert slugs == {f"generated-{n}" for n in range(COUNT + 7)}
    assert no_tree_problems()
    # A page added the usual way after them takes the next place in its section.
    section = generated[0].get_parent()
    section.add_child(instance=ArticlePage(title="By hand", slug="by-hand"))
    assert no_tree_problems()
