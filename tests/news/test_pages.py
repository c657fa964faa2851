"""The reader-facing pages of the demo site, in both languages."""

import pytest


@pytest.fixture(autouse=True)
def _site_url_is_the_test_host(settings):
    """Absolute links come from SITE_URL (never the Host header): the test client's."""
    settings.SITE_URL = "http://testserver"


ARTICLE = "/news/river-port-strike-enters-third-week/"
ARTICLE_RU = "/ru/news/river-port-strike-enters-third-week/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/", "/ru/", "/news/", "/ru/news/", ARTICLE, ARTICLE_RU, "/authors/anna-weiss/",
     "/tags/labour/", "/search/?q=port", "/ru/search/?q=порт"],
)
def test_public_pages_render_without_setting_cookies(client, demo_site, url):
    response = client.get(url)
    assert response.status_code == 200
    assert not response.cookies


@pytest.mark.django_db
def test_article_page_shows_headline_byline_credit_and_tags(client, demo_site):
    html = client.get(ARTICLE).content.decode()
    assert "<h1 class=\"article__headline\">River port strike enters its third week</h1>" in html
    assert 'href="/authors/anna-weiss/"' in html
    assert "Ledger photo desk" in html
    assert 'href="/tags/labour/"' in html
    assert 'srcset="' in html and 'width="' in html and 'height="' in html


@pytest.mark.django_db
def test_language_switch_links_to_the_translated_article(client, demo_site):
    html = client.get(ARTICLE).content.decode()
    assert f'<a href="{ARTICLE_RU}" hreflang="ru" lang="ru">Русский</a>' in html
    assert f'hreflang="ru" href="http://testserver{ARTICLE_RU}"' in html


@pytest.mark.django_db
def test_unknown_page_is_a_404_page(client, demo_site):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["", "%", "'\"", "port' OR 1=1; DROP TABLE wagtailcore_page;--", "порт", "x" * 10240,
              "AND OR NOT", "*", '"unterminated']
)
def test_odd_search_queries_give_a_results_page(client, demo_site, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert '<meta name="robots" content="noindex">' in response.content.decode()


@pytest.mark.django_db
def test_search_finds_an_article_by_a_word_of_its_body(client, demo_site):
    html = client.get("/search/", {"q": "dockers"}).content.decode()
    assert "River port strike" in html


@pytest.mark.django_db
def test_language_switch_on_a_later_listing_page_links_to_the_first_page(client, demo_site):
    from samizdat.news.demo import publish_article
    from samizdat.news.models import Author, SectionPage

    section = SectionPage.objects.get(slug="news", locale__language_code="en")
    authors = {"staff": Author.objects.get(slug="staff")}
    for number in range(25):
        spec = {"slug": f"extra-{number}", "title": f"Extra {number}", "standfirst": "",
                "body": ["Text."], "authors": ["staff"]}
        publish_article(section, spec, authors, None, section.first_published_at)
    html = client.get("/news/page/2/").content.decode()
    assert '<a href="/ru/news/" hreflang="ru" lang="ru">Русский</a>' in html
