"""RSS and Atom feeds, read back with a real feed parser."""

import html
import re

import feedparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from . import discovery_factories as make


@pytest.fixture(autouse=True)
def _site_url_is_the_test_host(settings):
    """Absolute links come from SITE_URL (never the Host header): the test client's."""
    settings.SITE_URL = "http://testserver"


pytestmark = pytest.mark.django_db


@pytest.fixture
def newsroom(db):
    return make.newsroom()


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def entry_for(parsed, link):
    matches = [entry for entry in parsed.entries if entry.link == link]
    assert matches, f"{link} not in feed"
    return matches[0]


def test_site_feeds_carry_the_full_text_of_the_demo_articles_in_each_language(
    client, demo_site
):
    for prefix, language in (("", "en"), ("/ru", "ru")):
        for kind, version in (("rss", "rss20"), ("atom", "atom10")):
            parsed = parse(client, f"{prefix}/feeds/{kind}/")
            assert parsed.version == version
            assert parsed.feed.title == "The Northern Ledger"
            assert parsed.feed.language == language
            assert parsed.entries
            for entry in parsed.entries:
                assert entry.link.startswith(f"http://testserver{prefix}/")
                body = entry.content[0].value
                assert body.count("<p>") >= 2, entry.link
                assert len(body) > len(entry.summary)
                assert entry.authors and entry.authors[0].name
                assert entry.published_parsed
                if kind == "atom":
                    assert entry.updated_parsed


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feed_item_has_authors_tags_standfirst_and_absolute_image_urls(client, newsroom, kind):
    anna, north = make.author("anna-weiss"), make.author("k-north")
    linked = make.publish_article(make.section("news"), "Linked story", authors=[anna])
    image = make.picture("Harbour at dawn", credit="Kremlin.ru")
    article = make.publish_article(
        make.section("culture"),
        "Theatre & exile: a <new> season",
        authors=[anna, north],
        standfirst="Actors who left the country open a season abroad.",
        tags=["theatre", "exile"],
        image=image,
        body=[
            {"type": "paragraph", "value": f'<p>See <a linktype="page" id="{linked.pk}">our'
             " earlier report</a> on the troupe.</p>"},
            {"type": "image", "value": {"image": image.pk, "caption": "Rehearsal"}},
            {"type": "paragraph", "value": "<p>The season opens in spring.</p>"},
        ],
    )
    parsed = parse(client, f"/feeds/{kind}/")
    entry = entry_for(parsed, f"http://testserver/culture/{article.slug}/")

    assert entry.title == "Theatre & exile: a <new> season"
    assert html.unescape(entry.summary) == "Actors who left the country open a season abroad."
    assert [author.name for author in entry.authors] == ["Anna Weiss", "K. North"]
    assert sorted(tag.term for tag in entry.tags) == ["exile", "theatre"]
    assert entry.id == f"tag:testserver,{article.first_published_at:%Y-%m-%d}:page-{article.pk}"
    body = entry.content[0].value
    assert "The season opens in spring." in body
    assert f'href="http://testserver/news/{linked.slug}/"' in body
    assert "Kremlin.ru" in body
    sources = re.findall(r'(?:src|srcset)="([^"]+)"', body)
    assert sources
    for value in sources:
        for candidate in value.split(","):
            assert candidate.strip().startswith("http://testserver/media/images/"), candidate
    media = entry.media_content[0]
    assert media["url"].startswith("http://testserver/media/images/")
    assert media["medium"] == "image"
    assert int(media["width"]) == 960


def test_feed_text_is_escaped_not_interpreted(client, newsroom):
    article = make.publish_article(
        make.section("news"),
        "Title </title><script>x</script>",
        authors=[make.author("staff")],
        standfirst="Less < more & </description>",
    )
    parsed = parse(client, "/feeds/rss/")
    entry = entry_for(parsed, f"http://testserver/news/{article.slug}/")
    assert entry.title == "Title </title><script>x</script>"
    assert html.unescape(entry.summary) == "Less < more & </description>"


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_section_feed_lists_only_that_sections_articles(client, newsroom, kind):
    make.publish_article(make.section("news"), "Only in news", authors=[make.author("staff")])
    culture = make.publish_article(
        make.section("culture"), "Only in culture", authors=[make.author("staff")]
    )
    news_feed = parse(client, f"/feeds/sections/news/{kind}/")
    culture_feed = parse(client, f"/feeds/sections/culture/{kind}/")

    assert news_feed.feed.title == "The Northern Ledger: News"
    assert news_feed.entries
    assert all(entry.link.startswith("http://testserver/news/") for entry in news_feed.entries)
    assert f"http://testserver/culture/{culture.slug}/" in [e.link for e in culture_feed.entries]


def test_russian_section_feed_is_in_russian(client, newsroom):
    make.publish_article(make.section("news", "ru"), "Новость", authors=[make.author("staff")])
    parsed = parse(client, "/ru/feeds/sections/news/rss/")
    assert parsed.feed.title == "The Northern Ledger: Новости"
    assert parsed.feed.language == "ru"
    assert parsed.entries
    assert all(entry.link.startswith("http://testserver/ru/news/") for entry in parsed.entries)


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_author_feed_lists_only_that_authors_articles_in_that_language(client, newsroom, kind):
    solo = make.author("solo-writer", "Solo Writer")
    english = make.publish_article(make.section("business"), "Solo in English", authors=[solo])
    russian = make.translate(english, "ru", "Соло по-русски")
    make.publish_article(make.section("business"), "Somebody else", authors=[make.author("staff")])

    en_feed = parse(client, f"/feeds/authors/solo-writer/{kind}/")
    ru_feed = parse(client, f"/ru/feeds/authors/solo-writer/{kind}/")

    assert en_feed.feed.title == "The Northern Ledger: Solo Writer"
    assert [entry.title for entry in en_feed.entries] == [english.title]
    assert [entry.title for entry in ru_feed.entries] == [russian.title]
    assert ru_feed.entries[0].link == f"http://testserver/ru/business/{english.slug}/"


def test_drafts_are_not_in_feeds(client, newsroom):
    draft = make.publish_article(
        make.section("news"), "Draft story", authors=[make.author("staff")], live=False
    )
    parsed = parse(client, "/feeds/rss/")
    assert "Draft story" not in [entry.title for entry in parsed.entries]
    assert f"/news/{draft.slug}/" not in client.get("/feeds/atom/").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/feeds/sections/no-such-section/rss/",
        "/feeds/sections/no-such-section/atom/",
        "/ru/feeds/sections/no-such-section/rss/",
        "/feeds/authors/no-such-author/rss/",
        "/ru/feeds/authors/no-such-author/atom/",
    ],
)
def test_feed_for_an_unknown_section_or_author_is_404(client, newsroom, url):
    assert client.get(url).status_code == 404


def test_feed_for_an_article_slug_or_an_unpublished_section_is_404(client, newsroom):
    article = make.publish_article(make.section("news"), "A story", authors=[make.author("staff")])
    assert client.get(f"/feeds/sections/{article.slug}/rss/").status_code == 404
    make.section("opinion").unpublish()
    assert client.get("/feeds/sections/opinion/atom/").status_code == 404
    assert client.get("/ru/feeds/sections/opinion/atom/").status_code == 200


@pytest.mark.parametrize("url", ["/feeds/rss/", "/ru/feeds/atom/", "/feeds/authors/staff/rss/"])
def test_feeds_are_cacheable_and_set_no_cookie(client, newsroom, url):
    response = client.get(url)
    assert not response.cookies
    assert "public" in response["Cache-Control"]
    assert "max-age=" in response["Cache-Control"]
    assert response["Last-Modified"]


def test_feed_queries_do_not_grow_with_the_number_of_articles(client, newsroom, settings):
    settings.SAMIZDAT_PAGE_CACHE = False  # count the feed's own queries, not a cache hit
    def queries(url):
        client.get(url)  # renditions are made on the first request
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    staff, anna = make.author("staff"), make.author("anna-weiss")
    for number in range(2):
        make.publish_article(
            make.section("opinion"), f"Opinion {number}", authors=[staff], tags=["first"],
            image=make.picture(f"First picture {number}"),
        )
    for url in ("/feeds/rss/", "/feeds/sections/opinion/atom/", "/feeds/authors/staff/rss/"):
        before = queries(url)
        for number in range(4):
            make.publish_article(
                make.section("opinion"),
                f"More opinion {number}",
                authors=[staff, anna],
                tags=[f"tag-{number}", "more"],
                image=make.picture(f"Picture {number}"),
                published_at=make.minutes_ago(number),
            )
        assert queries(url) == before, url


def test_every_page_announces_the_feeds_of_its_language(client, newsroom):
    story = make.publish_article(make.section("news"), "A story", authors=[make.author("staff")])
    home = client.get("/").content.decode()
    ru_home = client.get("/ru/").content.decode()
    article = client.get(f"/news/{story.slug}/").content.decode()
    assert '<link rel="alternate" type="application/rss+xml"' in home
    assert 'href="/feeds/rss/"' in home and 'href="/feeds/atom/"' in home
    assert 'href="/ru/feeds/rss/"' in ru_home and 'href="/ru/feeds/atom/"' in ru_home
    assert 'type="application/atom+xml" title="The Northern Ledger (Atom)" href="/feeds/atom/"' in (
        article
    )


def test_section_and_author_pages_announce_their_own_feeds(client, newsroom):
    section = client.get("/ru/news/").content.decode()
    author = client.get("/authors/anna-weiss/").content.decode()
    assert 'href="/ru/feeds/sections/news/rss/"' in section
    assert 'href="/ru/feeds/sections/news/atom/"' in section
    assert 'href="/feeds/authors/anna-weiss/rss/"' in author
    assert 'href="/feeds/authors/anna-weiss/atom/"' in author
    assert "/feeds/sections/" not in author


def test_announced_feeds_resolve_to_parsable_feeds(client, newsroom):
    page = client.get("/culture/").content.decode()
    hrefs = re.findall(
        r'<link rel="alternate" type="application/(?:rss|atom)\+xml"[^>]*href="([^"]+)"', page
    )
    assert len(hrefs) == 4
    for href in hrefs:
        parse(client, href)


def test_footer_links_to_the_feeds(client, newsroom):
    page = client.get("/ru/").content.decode()
    footer = page[page.index('<footer class="site-footer">'):]
    assert 'href="/ru/feeds/rss/"' in footer
    assert 'href="/ru/feeds/atom/"' in footer


def test_feed_still_works_when_a_lead_image_file_is_missing(client, newsroom):
    image = make.picture("Lost picture")
    article = make.publish_article(
        make.section("news"), "Picture lost", authors=[make.author("staff")], image=image
    )
    image.file.storage.delete(image.file.name)
    for kind in ("rss", "atom"):
        entry = entry_for(parse(client, f"/feeds/{kind}/"), f"http://testserver/news/{article.slug}/")
        assert "Full text of story" in entry.content[0].value
        assert "media_content" not in entry


def test_an_article_naming_its_author_twice_is_listed_once_in_the_feed_and_on_the_page(
        client, newsroom):
    solo = make.author("solo-writer", "Solo Writer")
    twice = make.publish_article(make.section("business"), "Named twice", authors=[solo, solo])
    make.publish_article(make.section("business"), "Named once", authors=[solo])
    assert twice.article_authors.count() == 2

    feed = parse(client, "/feeds/authors/solo-writer/rss/")
    assert sorted(entry.title for entry in feed.entries) == ["Named once", "Named twice"]
    page = client.get("/authors/solo-writer/").content.decode()
    assert page.count(f"/business/{twice.slug}/") == 1
