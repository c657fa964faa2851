"""Canonical links, OpenGraph/Twitter tags, NewsArticle JSON-LD and robots.txt."""

import datetime
import json
import re
from html.parser import HTMLParser

import pytest

from samizdat.news.models import OutletSettings

from . import discovery_factories as make

pytestmark = pytest.mark.django_db

ARTICLE = "/news/river-port-strike-enters-third-week/"
PRIMARY = "https://ledger.example"


class HeadParser(HTMLParser):
    """Collects <link>, <meta> and JSON-LD scripts the way a crawler reads them."""

    def __init__(self):
        super().__init__()
        self.links = []
        self.meta = {}
        self.meta_all = []
        self.json_ld = []
        self._in_json_ld = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link":
            self.links.append(attrs)
        elif tag == "meta" and ("property" in attrs or "name" in attrs):
            key = attrs.get("property") or attrs.get("name")
            self.meta.setdefault(key, attrs.get("content"))
            self.meta_all.append((key, attrs.get("content")))
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_json_ld = True
            self.json_ld.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_json_ld = False

    def handle_data(self, data):
        if self._in_json_ld:
            self.json_ld[-1] += data

    def canonicals(self):
        return [link["href"] for link in self.links if link.get("rel") == "canonical"]


def head_of(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    parser = HeadParser()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def newsroom(db, settings):
    settings.SITE_URL = PRIMARY
    return make.newsroom()


@pytest.fixture
def story(newsroom):
    """An English article with a lead image, two authors, tags and a Russian translation."""
    article = make.publish_article(
        make.section("news"),
        "Ferry workers strike at dawn",
        slug="ferry-workers-strike",
        authors=[make.author("anna-weiss"), make.author("k-north")],
        standfirst="Crews on the northern ferry line stopped work over unpaid wages.",
        tags=["labour", "ports"],
        image=make.picture("Ferry at the pier", credit="Kremlin.ru"),
        published_at=datetime.datetime(2026, 11, 20, 9, 30, tzinfo=datetime.UTC),
    )
    make.translate(article, "ru", "Паромщики бастуют на рассвете")
    return article


def test_article_has_a_news_article_json_ld_with_every_field(client, story):
    head = head_of(client, "/news/ferry-workers-strike/")
    assert len(head.json_ld) == 1
    data = json.loads(head.json_ld[0])
    canonical = f"{PRIMARY}/news/ferry-workers-strike/"

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Ferry workers strike at dawn"
    assert data["description"] == story.standfirst
    assert datetime.datetime.fromisoformat(data["datePublished"]) == story.first_published_at
    assert datetime.datetime.fromisoformat(data["dateModified"]) >= story.first_published_at
    assert data["author"] == [
        {"@type": "Person", "name": "Anna Weiss", "url": f"{PRIMARY}/authors/anna-weiss/"},
        {"@type": "Person", "name": "K. North", "url": f"{PRIMARY}/authors/k-north/"},
    ]
    assert len(data["image"]) == 3
    assert all(url.startswith(f"{PRIMARY}/media/images/") for url in data["image"])
    assert data["publisher"]["@type"] == "Organization"
    assert data["publisher"]["name"] == "The Northern Ledger"
    assert data["inLanguage"] == "en"
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": canonical}
    assert data["url"] == canonical
    assert data["articleSection"] == "News"
    assert data["keywords"] == ["labour", "ports"]


def test_json_ld_follows_the_outlet_name_set_in_the_admin(client, story):
    outlet = OutletSettings.objects.get()
    outlet.name = "Ledger in Exile"
    outlet.save()
    data = json.loads(head_of(client, "/news/ferry-workers-strike/").json_ld[0])
    assert data["publisher"]["name"] == "Ledger in Exile"


def test_russian_article_json_ld_is_in_russian_with_russian_author_pages(client, story):
    head = head_of(client, "/ru/news/ferry-workers-strike/")
    data = json.loads(head.json_ld[0])
    assert data["inLanguage"] == "ru"
    assert data["headline"] == "Паромщики бастуют на рассвете"
    assert data["author"][0]["url"] == f"{PRIMARY}/ru/authors/anna-weiss/"
    assert data["mainEntityOfPage"]["@id"] == f"{PRIMARY}/ru/news/ferry-workers-strike/"
    assert head.meta["og:locale"] == "ru_RU"
    assert ("og:locale:alternate", "en_US") in head.meta_all


def test_json_ld_cannot_be_broken_out_of_by_a_headline(client, newsroom):
    title = 'Leak </script><script>alert("x")</script> & <!-- more'
    make.publish_article(
        make.section("news"), title, slug="leak", authors=[make.author("staff")]
    )
    html = client.get("/news/leak/").content.decode()
    assert "<script>alert" not in html
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(scripts) == 1
    assert "<" not in scripts[0] and ">" not in scripts[0]
    assert json.loads(scripts[0])["headline"] == title


def test_article_has_opengraph_and_twitter_card_tags(client, story):
    head = head_of(client, "/news/ferry-workers-strike/")
    meta = head.meta
    canonical = f"{PRIMARY}/news/ferry-workers-strike/"
    assert meta["og:type"] == "article"
    assert meta["og:title"] == "Ferry workers strike at dawn"
    assert meta["og:description"] == story.standfirst
    assert meta["og:url"] == canonical
    assert meta["og:site_name"] == "The Northern Ledger"
    assert meta["og:locale"] == "en_US"
    assert ("og:locale:alternate", "ru_RU") in head.meta_all
    assert meta["og:image"].startswith(f"{PRIMARY}/media/images/")
    assert (int(meta["og:image:width"]), int(meta["og:image:height"])) == (1200, 675)
    assert meta["og:image:alt"]
    assert meta["article:published_time"].startswith("2026-11-20T09:30:00")
    assert meta["article:section"] == "News"
    assert [v for k, v in head.meta_all if k == "article:tag"] == ["labour", "ports"]
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["twitter:title"] == "Ferry workers strike at dawn"
    assert meta["twitter:description"] == story.standfirst
    assert meta["twitter:image"] == meta["og:image"]
    assert head.canonicals() == [canonical]


def test_share_image_is_served(client, story):
    meta = head_of(client, "/news/ferry-workers-strike/").meta
    path = meta["og:image"].removeprefix(PRIMARY)
    from django.conf import settings

    stored = settings.MEDIA_ROOT / path.removeprefix(settings.MEDIA_URL)
    assert stored.exists()


def test_article_without_an_image_gets_a_plain_summary_card(client, newsroom):
    make.publish_article(
        make.section("opinion"), "Words only", slug="words-only", authors=[make.author("k-north")]
    )
    head = head_of(client, "/opinion/words-only/")
    assert head.meta["twitter:card"] == "summary"
    assert "og:image" not in head.meta
    assert "image" not in json.loads(head.json_ld[0])


def test_canonical_and_share_urls_name_the_primary_site_even_on_a_mirror(client, story):
    head = head_of(client, "/news/ferry-workers-strike/", HTTP_HOST="mirror.example.org")
    canonical = f"{PRIMARY}/news/ferry-workers-strike/"
    assert head.canonicals() == [canonical]
    assert head.meta["og:url"] == canonical
    assert head.meta["og:image"].startswith(PRIMARY + "/")
    assert "mirror.example.org" not in json.dumps(json.loads(head.json_ld[0]))


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("/", "/"),
        ("/ru/", "/ru/"),
        ("/news/", "/news/"),
        ("/ru/news/", "/ru/news/"),
        ("/authors/anna-weiss/", "/authors/anna-weiss/"),
        ("/tags/labour/", "/tags/labour/"),
        ("/search/?q=ferry", "/search/"),
    ],
)
def test_every_page_has_exactly_one_canonical_on_the_primary_site(client, story, url, canonical):
    head = head_of(client, url, HTTP_HOST="mirror.example.org")
    assert head.canonicals() == [PRIMARY + canonical]
    assert not head.json_ld


def test_demo_article_carries_json_ld_and_opengraph(client, demo_site):
    head = head_of(client, ARTICLE)
    data = json.loads(head.json_ld[0])
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "River port strike enters its third week"
    assert data["author"][0]["name"] == "Anna Weiss"
    assert data["publisher"]["name"] == "The Northern Ledger"
    assert head.meta["og:type"] == "article"
    assert head.meta["twitter:card"] == "summary_large_image"


# --- robots.txt -----------------------------------------------------------------

def test_robots_txt_names_the_sitemaps_and_keeps_crawlers_out_of_admin_and_search(
    client, settings
):
    settings.SITE_URL = PRIMARY
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "public" in response["Cache-Control"]
    assert not response.cookies
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Disallow: /admin/" in lines
    assert "Disallow: /search/" in lines
    assert "Disallow: /ru/search/" in lines
    assert f"Sitemap: {PRIMARY}/sitemap.xml" in lines
    assert f"Sitemap: {PRIMARY}/news-sitemap.xml" in lines
    assert "Disallow: /" not in lines


def test_robots_txt_does_not_reveal_a_moved_admin(client, settings):
    settings.WAGTAIL_ADMIN_PATH = "desk-7f3a"
    body = client.get("/robots.txt").content.decode()
    assert "desk-7f3a" not in body
    assert "Disallow: /search/" in body


def test_article_whose_image_file_is_missing_still_renders_without_a_share_image(
    client, newsroom
):
    image = make.picture("Lost picture")
    make.publish_article(
        make.section("news"), "Picture lost", slug="picture-lost",
        authors=[make.author("staff")], image=image,
    )
    image.file.storage.delete(image.file.name)
    head = head_of(client, "/news/picture-lost/")
    assert "og:image" not in head.meta
    assert json.loads(head.json_ld[0])["headline"] == "Picture lost"
