"""What the reader pages keep per process (URLs, <picture> and card markup, compiled SQL)
never shows a reader anything stale or different: the same answers as the ORM, and
every edit an editor makes shows on the next render."""

import contextlib
import datetime

import pytest
from django.test import RequestFactory
from wagtail.models import PageViewRestriction

from samizdat.news import loader
from samizdat.news.demo import extra_articles
from samizdat.news.models import ArticlePage, ArticleRelatedLink, Author

ARTICLE = "/news/river-port-strike-enters-third-week/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uncached(settings):
    """Renders, not the page cache's copies (whose purging news/affected.py decides)."""
    settings.SAMIZDAT_PAGE_CACHE = False


@contextlib.contextmanager
def in_another_process():
    """An edit made by another process (an editor's request in another worker): this
    process's own epoch (loader.py) does not move; only the shared tokens tell it."""
    epoch = loader._local["epoch"]
    yield
    loader._local["epoch"] = epoch


def river():
    return ArticlePage.objects.get(slug="river-port-strike-enters-third-week",
                                   locale__language_code="en")


def read_more(html):
    return html.split('id="read-more-title"', 1)[1]


def test_read_more_ids_from_prepared_sql_equal_the_orms(demo_site):
    extra_articles(20)
    articles = list(ArticlePage.objects.order_by("pk"))
    same = datetime.datetime(2026, 1, 5, 12, 0, tzinfo=datetime.UTC)
    ArticlePage.objects.filter(pk__in=[a.pk for a in articles[::3]]).update(
        first_published_at=same)  # ties: the pk decides
    first, draft, private = articles[0], articles[4], articles[7]
    ArticlePage.objects.filter(pk=draft.pk).update(live=False)
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    for order, pick in enumerate([draft, articles[1], private, articles[10]]):
        ArticleRelatedLink.objects.create(page=first, article=pick, sort_order=order)
    request = RequestFactory().get("/")
    articles = list(ArticlePage.objects.prefetch_related("tags").order_by("pk"))
    orm = [ArticlePage.objects.related_ids(a) for a in articles]
    for _ in range(2):  # the first compiles each shape, the second reuses it
        assert [ArticlePage.objects.related_ids(a, request=request) for a in articles] == orm
    assert orm[0][:2] == [articles[1].pk, articles[10].pk]  # picks, draft and private out


def test_every_query_of_an_article_render_is_prepared(client, demo_site, monkeypatch):
    """On this backend (PostgreSQL's psycopg wraps integer columns' values) no reader
    query of the article page falls back to building its SQL again on every render."""
    from samizdat.news import prepared

    fell_back = []
    plan = prepared._plan

    def watched(queryset, marks):
        found = plan(queryset, marks)
        if found is prepared._NO_PLAN:
            fell_back.append(str(queryset.query))
        return found

    monkeypatch.setattr(prepared, "_plan", watched)
    first = client.get(ARTICLE).content
    assert client.get(ARTICLE).content == first
    assert 'id="read-more-title"' in first.decode()
    assert fell_back == []


def test_a_new_headline_shows_in_read_more_at_once(client, demo_site):
    before = read_more(client.get(ARTICLE).content.decode())
    slug = before.split('class="card__title"><a href="', 1)[1].split('"', 1)[0].split("/")[-2]
    card = ArticlePage.objects.get(slug=slug, locale__language_code="en")
    assert card.title in before
    with in_another_process():
        revision = card.get_latest_revision_as_object()
        revision.title = "A headline changed a moment ago"
        revision.save_revision().publish()
    after = read_more(client.get(ARTICLE).content.decode())
    assert "A headline changed a moment ago" in after


def test_a_renamed_author_shows_in_the_byline_and_the_cards(client, demo_site):
    assert "Anna Weiss" in client.get(ARTICLE).content.decode()
    author = Author.objects.get(slug="anna-weiss")
    author.name = "Anna Weiss-Renamed"
    with in_another_process():
        author.save()  # a snippet: a new page cache generation
    html = client.get(ARTICLE).content.decode()
    assert "Anna Weiss-Renamed</a>" in html
    assert ">Anna Weiss</a>" not in html


def test_a_new_focal_point_shows_in_the_cropped_pictures(client, demo_site):
    image = river().lead_image
    name = image.file.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]

    def crops(html):  # the front page's crops (fill-…) of this image
        return {url for part in html.split('srcset="')[1:]
                for url in part.split('"', 1)[0].split(", ") if name in url}

    before = crops(client.get("/").content.decode())
    image.focal_point_x, image.focal_point_y = 10, 10
    image.focal_point_width = image.focal_point_height = 20
    with in_another_process():
        image.save()  # an image: a new page cache generation
    after = crops(client.get("/").content.decode())
    assert before and after and before.isdisjoint(after)


def test_a_preview_shows_its_unsaved_tags_and_picks(demo_site):
    article = river()
    pick = ArticlePage.objects.live().filter(locale=article.locale).exclude(
        pk=article.pk).order_by("pk").last()
    draft = article.get_latest_revision_as_object()
    draft.tags.add("only-in-this-draft")
    draft.related_links = [ArticleRelatedLink(article=pick)]
    html = draft.make_preview_request().content.decode()
    assert "only-in-this-draft" in html
    cards = read_more(html)
    assert cards.index(pick.title) < min(
        cards.index(a.title) for a in ArticlePage.objects.live().exclude(pk=pick.pk)
        if a.title in cards)
