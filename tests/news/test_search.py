"""Site search in both languages: on PostgreSQL a reader's inflected word finds the article."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

RU_STRIKE = "Забастовка в речном порту идёт третью неделю"


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("stemming is PostgreSQL's (SQLite's full-text search matches whole words)")


def _results(client, path, query):
    html = client.get(path, {"q": query}).content.decode()
    assert '<meta name="robots" content="noindex">' in html
    return html


def test_russian_search_finds_an_article_by_its_word_in_another_case(client, demo_site):
    _postgres_only()
    # The title says "Забастовка", the standfirst "Докеры": readers type other forms.
    assert RU_STRIKE in _results(client, "/ru/search/", "забастовки")
    assert RU_STRIKE in _results(client, "/ru/search/", "докеров")
    assert RU_STRIKE in _results(client, "/ru/search/", "забастовкой порта")
    assert RU_STRIKE not in _results(client, "/ru/search/", "забастовкой футбола")


def test_english_search_still_stems_english(client, demo_site):
    _postgres_only()
    assert "River port strike" in _results(client, "/search/", "strikes")
    assert "River port strike" in _results(client, "/search/", "docker")


def test_each_language_searches_its_own_articles(client, demo_site):
    assert RU_STRIKE in _results(client, "/ru/search/", "Забастовка")
    assert RU_STRIKE not in _results(client, "/search/", "Забастовка")
    assert "River port strike" not in _results(client, "/ru/search/", "dockers")


def test_the_language_switch_on_a_search_keeps_the_words(client, demo_site):
    """It used to lead to an empty search form in the other language."""
    import re

    html = client.get("/search/", {"q": "port strike", "page": "2"}).content.decode()
    links = dict(re.findall(r'<a[^>]*hreflang="(\w+)"[^>]*href="([^"]+)"', html)
                 + [(b, a) for a, b in re.findall(r'<a[^>]*href="([^"]+)"[^>]*hreflang="(\w+)"',
                                                  html)])
    assert links["ru"] == "/ru/search/?q=port+strike"
    back = client.get("/ru/search/", {"q": "забастовка"}).content.decode()
    assert 'href="/search/?q=%D0%B7%D0%B0%D0%B1%D0%B0%D1%81%D1%82%D0%BE%D0%B2%D0%BA%D0%B0"' \
        in back
