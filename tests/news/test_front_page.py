"""The front page reads like a newspaper's: a lead, the editors' top stories, a latest list
with times and a block per section, in a fixed number of queries."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samizdat.news.demo import extra_articles
from samizdat.news.demo_content import TOP_STORIES
from samizdat.news.front import LATEST
from samizdat.news.models import ArticlePage, HomePage, HomePageTopStory

pytestmark = pytest.mark.django_db


def region(html, label_id):
    """The HTML of the <section> labelled by the heading with this id."""
    start = html.index(f'aria-labelledby="{label_id}"')
    return html[start : html.index("</section>", start)]


def titles(fragment):
    return re.findall(r'<h3 class="story__title"><a href="[^"]+">([^<]+)</a>', fragment)


def test_front_page_shows_the_editors_top_stories_in_their_order(client, demo_site):
    html = client.get("/").content.decode()
    picked = [
        ArticlePage.objects.get(slug=slug, locale__language_code="en").title
        for slug in TOP_STORIES["en"]
    ]
    assert titles(region(html, "top-stories-title")) == [t.replace("'", "&#x27;") for t in picked]


def test_an_unpublished_pick_drops_off_the_front_page(client, demo_site):
    pick = HomePageTopStory.objects.filter(page__locale__language_code="en").first().article
    pick.unpublish()
    html = client.get("/").content.decode()
    assert pick.title not in region(html, "top-stories-title")
    assert len(titles(region(html, "top-stories-title"))) == len(TOP_STORIES["en"]) - 1


def test_picks_of_another_language_never_reach_a_front(client, demo_site):
    russian_home = HomePage.objects.get(locale__language_code="ru")
    english = ArticlePage.objects.get(slug="bereza-election-count-questioned")
    HomePageTopStory.objects.create(page=russian_home, article=english, sort_order=0)
    html = client.get("/ru/").content.decode()
    assert english.title not in html


def test_latest_lists_the_newest_headlines_with_their_times(client, demo_site):
    html = client.get("/").content.decode()
    latest = region(html, "latest-title")
    newest = (
        ArticlePage.objects.live()
        .filter(locale__language_code="en")
        .order_by("-first_published_at")[:LATEST]
    )
    items = re.findall(r'<time class="latest__time" datetime="([^"]+)">(\d\d:\d\d)<span', latest)
    assert len(items) == LATEST
    for article, (stamp, shown) in zip(newest, items, strict=True):
        assert article.title.replace("'", "&#x27;") in latest
        assert stamp.startswith(article.first_published_at.strftime("%Y-%m-%dT%H:%M"))
        assert shown == article.first_published_at.strftime("%H:%M")


def test_each_section_has_a_block_without_repeating_the_lead_or_top_stories(client, demo_site):
    html = client.get("/").content.decode()
    lead = re.search(r'<h2 class="story__title"><a href="[^"]+">([^<]+)</a>', html).group(1)
    top = set(titles(region(html, "top-stories-title")))
    for section in ("News", "Opinion", "Business", "Culture"):
        heading = re.search(
            rf'<h2 id="(section-\d+)" class="front-section__title">'
            rf'<a href="[^"]+">{section}</a>',
            html,
        )
        assert heading, section
        block = titles(region(html, heading.group(1)))
        assert 1 <= len(block) <= 4
        assert lead not in block and not top & set(block)


def test_only_the_lead_picture_loads_eagerly(client, demo_site):
    html = client.get("/").content.decode()
    images = re.findall(r"<img [^>]+>", html.split("<main")[1])
    assert len(images) > 5
    eager = [img for img in images if 'loading="lazy"' not in img]
    assert len(eager) == 1 and 'fetchpriority="high"' in eager[0]
    assert all("srcset=" in img or "<source" in html for img in images)


@pytest.fixture
def uncached(settings):
    settings.SAMIZDAT_PAGE_CACHE = False


def front_queries(client):
    for _ in range(2):  # renditions, then the per-process loader
        assert client.get("/").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


def test_front_page_queries_do_not_grow_with_the_archive(client, demo_site, uncached):
    small = front_queries(client)
    extra_articles(30)
    assert front_queries(client) == small
