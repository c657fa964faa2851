"""sitemap.xml and the Google News sitemap, parsed as XML."""

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from samizdat.news.listing import ARTICLES_PER_PAGE
from samizdat.news.models import HomePage, SectionPage

from . import discovery_factories as make


@pytest.fixture(autouse=True)
def _site_url_is_the_test_host(settings):
    """Absolute links come from SITE_URL (never the Host header): the test client's."""
    settings.SITE_URL = "http://testserver"


pytestmark = pytest.mark.django_db

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "xhtml": "http://www.w3.org/1999/xhtml",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}
BASE = "http://testserver"
ARTICLE = "/news/river-port-strike-enters-third-week/"


def fetch(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)


def sitemap_entries(client, url="/sitemap.xml"):
    """{loc: {"lastmod": str, "alternates": {hreflang: href}}}"""
    root = fetch(client, url)
    entries = {}
    for node in root.findall("sm:url", NS):
        loc = node.findtext("sm:loc", namespaces=NS)
        assert loc not in entries, f"{loc} listed twice"
        entries[loc] = {
            "lastmod": node.findtext("sm:lastmod", namespaces=NS),
            "alternates": {
                link.get("hreflang"): link.get("href")
                for link in node.findall("xhtml:link", NS)
                if link.get("rel") == "alternate"
            },
        }
    return entries


@pytest.fixture
def newsroom(db):
    return make.newsroom()


def test_demo_sitemap_covers_every_kind_of_page_and_names_translations(client, demo_site):
    entries = sitemap_entries(client)
    for path in ["/", "/ru/", "/news/", "/ru/news/", "/culture/", ARTICLE, "/ru" + ARTICLE,
                 "/authors/anna-weiss/", "/ru/authors/anna-weiss/", "/tags/labour/"]:
        assert BASE + path in entries, path
    for loc, entry in entries.items():
        assert loc.startswith(BASE + "/")
        datetime.date.fromisoformat(entry["lastmod"])
        assert entry["alternates"], loc
    assert not any("/search/" in loc for loc in entries)

    expected = {"en": BASE + ARTICLE, "ru": BASE + "/ru" + ARTICLE, "x-default": BASE + ARTICLE}
    assert entries[BASE + ARTICLE]["alternates"] == expected
    assert entries[BASE + "/ru" + ARTICLE]["alternates"] == expected
    assert entries[BASE + "/ru/"]["alternates"] == {
        "en": BASE + "/", "ru": BASE + "/ru/", "x-default": BASE + "/"
    }


def test_untranslated_article_has_only_its_own_language(client, newsroom):
    article = make.publish_article(
        make.section("business"), "English only", authors=[make.author("staff")]
    )
    entries = sitemap_entries(client)
    loc = f"{BASE}/business/{article.slug}/"
    assert entries[loc]["alternates"] == {"en": loc, "x-default": loc}
    assert f"{BASE}/ru/business/{article.slug}/" not in entries


def test_russian_only_article_has_no_x_default(client, newsroom):
    article = make.publish_article(
        make.section("culture", "ru"), "Только по-русски", authors=[make.author("staff")]
    )
    entries = sitemap_entries(client)
    loc = f"{BASE}/ru/culture/{article.slug}/"
    assert entries[loc]["alternates"] == {"ru": loc}


def test_sitemap_lastmod_is_the_last_publication(client, newsroom):
    published = timezone.now() - datetime.timedelta(days=40)
    article = make.publish_article(
        make.section("opinion"), "An old column", authors=[make.author("k-north")],
        published_at=published,
    )
    entries = sitemap_entries(client)
    assert entries[f"{BASE}/opinion/{article.slug}/"]["lastmod"] == published.strftime("%Y-%m-%d")


def test_sitemap_leaves_out_drafts(client, newsroom):
    draft = make.publish_article(
        make.section("news"), "Not yet", authors=[make.author("staff")], live=False
    )
    assert f"{BASE}/news/{draft.slug}/" not in sitemap_entries(client)


def test_sitemap_lists_every_page_of_a_long_section(client, newsroom):
    home = HomePage.objects.get(locale__language_code="en")
    archive = SectionPage(title="Archive", slug="archive")
    home.add_child(instance=archive)
    archive.save_revision().publish()
    staff = make.author("staff")
    for number in range(ARTICLES_PER_PAGE + 1):
        make.publish_article(archive, f"Archive story {number}", authors=[staff])

    entries = sitemap_entries(client)
    assert BASE + "/archive/" in entries
    assert BASE + "/archive/page/2/" in entries
    assert BASE + "/archive/page/3/" not in entries
    assert entries[BASE + "/archive/page/2/"]["alternates"]["en"] == BASE + "/archive/page/2/"
    assert client.get("/archive/page/2/").status_code == 200


def test_author_and_tag_pages_are_listed_only_in_languages_they_have_articles_in(
    client, newsroom
):
    make.publish_article(
        make.section("news"), "Debut", authors=[make.author("new-voice", "New Voice")],
        tags=["only-english-tag"],
    )
    entries = sitemap_entries(client)
    author = BASE + "/authors/new-voice/"
    tag = BASE + "/tags/only-english-tag/"
    assert entries[author]["alternates"] == {"en": author, "x-default": author}
    assert entries[tag]["alternates"] == {"en": tag, "x-default": tag}
    assert BASE + "/ru/authors/new-voice/" not in entries
    assert client.get("/authors/new-voice/").status_code == 200
    assert client.get("/tags/only-english-tag/").status_code == 200


def test_x_default_keeps_an_english_url_that_contains_en(client, newsroom):
    make.publish_article(
        make.section("news"), "Tagged en", authors=[make.author("staff")], tags=["en"]
    )
    tag = BASE + "/tags/en/"
    assert sitemap_entries(client)[tag]["alternates"] == {"en": tag, "x-default": tag}


def test_sitemap_queries_do_not_grow_with_the_site(client, newsroom, settings):
    settings.SAMIZDAT_PAGE_CACHE = False  # count the sitemap's own queries, not a cache hit
    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get("/sitemap.xml").status_code == 200
        return len(context.captured_queries)

    for number in range(2):
        make.publish_article(
            make.section("news"), f"Base {number}", authors=[make.author("staff")], tags=["base"]
        )
    before = queries()
    for number in range(5):
        make.publish_article(
            make.section("culture"),
            f"Extra {number}",
            authors=[make.author(f"extra-author-{number}")],
            tags=[f"extra-tag-{number}"],
        )
    assert queries() == before


def test_sitemaps_are_cacheable_and_set_no_cookie(client, newsroom):
    for url in ("/sitemap.xml", "/news-sitemap.xml"):
        response = client.get(url)
        assert not response.cookies
        assert "public" in response["Cache-Control"]


# --- Google News sitemap -------------------------------------------------------

def news_entries(client):
    root = fetch(client, "/news-sitemap.xml")
    entries = {}
    for node in root.findall("sm:url", NS):
        news = node.find("news:news", NS)
        entries[node.findtext("sm:loc", namespaces=NS)] = {
            "name": news.findtext("news:publication/news:name", namespaces=NS),
            "language": news.findtext("news:publication/news:language", namespaces=NS),
            "date": datetime.datetime.fromisoformat(
                news.findtext("news:publication_date", namespaces=NS)
            ),
            "title": news.findtext("news:title", namespaces=NS),
        }
    return entries


def test_news_sitemap_lists_only_articles_of_the_last_two_days(client, newsroom):
    staff = make.author("staff")
    fresh = make.publish_article(
        make.section("news"), "Fresh & urgent <news>", authors=[staff],
        published_at=make.minutes_ago(30),
    )
    fresh_ru = make.publish_article(
        make.section("news", "ru"), "Свежая новость", authors=[staff],
        published_at=make.minutes_ago(45),
    )
    old = make.publish_article(
        make.section("news"), "Old news", authors=[staff],
        published_at=timezone.now() - datetime.timedelta(days=3),
    )
    entries = news_entries(client)

    assert entries[f"{BASE}/news/{fresh.slug}/"] == {
        "name": "The Northern Ledger",
        "language": "en",
        "date": fresh.first_published_at.replace(microsecond=0),
        "title": "Fresh & urgent <news>",
    }
    assert entries[f"{BASE}/ru/news/{fresh_ru.slug}/"]["language"] == "ru"
    assert f"{BASE}/news/{old.slug}/" not in entries
    cutoff = timezone.now() - datetime.timedelta(days=2)
    assert all(entry["date"] >= cutoff for entry in entries.values())
    dates = [entry["date"] for entry in entries.values()]
    assert dates == sorted(dates, reverse=True)


def test_news_sitemap_is_valid_when_nothing_is_recent(client, newsroom):
    make.publish_article(
        make.section("news"), "Last week", authors=[make.author("staff")],
        published_at=timezone.now() - datetime.timedelta(days=7),
    )
    assert news_entries(client) == {}


def test_news_sitemap_keeps_the_newest_articles_up_to_its_limit(client, newsroom, monkeypatch):
    from samizdat.news import sitemaps

    monkeypatch.setattr(sitemaps, "NEWS_LIMIT", 2)
    staff = make.author("staff")
    titles = ["Oldest of three", "Middle of three", "Newest of three"]
    for minutes, title in zip((30, 20, 10), titles, strict=True):
        make.publish_article(
            make.section("news"), title, authors=[staff], published_at=make.minutes_ago(minutes)
        )
    assert [entry["title"] for entry in news_entries(client).values()] == [
        "Newest of three", "Middle of three"
    ]


def test_home_and_section_lastmod_follow_their_newest_article(client, newsroom):
    long_ago = timezone.now() - datetime.timedelta(days=90)
    HomePage.objects.update(last_published_at=long_ago)
    SectionPage.objects.update(last_published_at=long_ago)
    article = make.publish_article(make.section("culture"), "New", authors=[make.author("staff")])
    today = article.last_published_at.strftime("%Y-%m-%d")
    entries = sitemap_entries(client)
    assert entries[BASE + "/culture/"]["lastmod"] == today
    assert entries[BASE + "/"]["lastmod"] == today
    assert entries[BASE + "/news/"]["lastmod"] == long_ago.strftime("%Y-%m-%d")
    assert entries[BASE + "/ru/"]["lastmod"] == long_ago.strftime("%Y-%m-%d")


def test_the_mirror_exports_every_list_page_the_sitemap_names_and_each_answers(
        client, newsroom):
    """Sitemap and static export build list URLs through one declaration
    (news/mirror_export.py): a long section's page 2, author and tag pages."""
    from samizdat.news.mirror_export import urls

    home = HomePage.objects.get(locale__language_code="en")
    archive = SectionPage(title="Archive", slug="archive")
    home.add_child(instance=archive)
    archive.save_revision().publish()
    staff = make.author("staff")
    for number in range(ARTICLES_PER_PAGE + 1):
        make.publish_article(archive, f"Archive story {number}", authors=[staff],
                             tags=["archive"])

    exported = set(urls.export_urls())
    assert {"/archive/page/2/", "/authors/staff/", "/authors/staff/page/2/",
            "/tags/archive/", "/tags/archive/page/2/"} <= exported
    # The feeds those pages link to, so the export renders them before the pages.
    assert {"/feeds/sections/archive/rss/", "/feeds/sections/archive/atom/",
            "/feeds/authors/staff/rss/", "/feeds/authors/staff/atom/"} <= exported
    assert "/archive/page/3/" not in exported
    listed = {loc.removeprefix(BASE) for loc in sitemap_entries(client)
              if "/page/" in loc or "/authors/" in loc or "/tags/" in loc}
    assert listed and listed <= exported
    for path in sorted(exported):
        assert client.get(path).status_code == 200, path
    assert set(urls.server_only_urls()) >= {"/search/"}
