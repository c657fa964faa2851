"""An article page's HTML + CSS + JS stays under 60 KB and names no other host."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

LIMIT = 60 * 1024
# url(//x), url(https://x), @import "https://x": a stylesheet reaching out.
CSS_REMOTE = re.compile(r"""(url\(\s*['"]?|@import\s+['"]?)(https?:)?//""", re.I)
# A quoted absolute URL in a script (XML namespaces aside).
JS_REMOTE = re.compile(r"""['"`](https?:)?//(?!www\.w3\.org/)""", re.I)
ARTICLES = ["/news/river-port-strike-enters-third-week/",
            "/ru/news/river-port-strike-enters-third-week/",
            "/news/northern-crossing-queue-record/"]


class Resources(HTMLParser):
    """Every URL the browser would fetch by itself: styles, scripts, images, icons."""

    def __init__(self):
        super().__init__()
        self.styles, self.scripts, self.fetched = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href"):
            rel = (attrs.get("rel") or "").split()
            if "stylesheet" in rel:
                self.styles.append(attrs["href"])
            if {"stylesheet", "icon", "preload", "modulepreload", "manifest"} & set(rel):
                self.fetched.append(attrs["href"])
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])
            self.fetched.append(attrs["src"])
        if tag in ("img", "source", "video", "audio", "iframe", "embed"):
            for name in ("src", "srcset", "data"):
                for candidate in (attrs.get(name) or "").split(","):
                    if candidate.strip():
                        self.fetched.append(candidate.strip().split()[0])


def static_bytes(url):
    path = urlsplit(url).path
    assert path.startswith(settings.STATIC_URL), f"{url} is not a static file"
    found = finders.find(path[len(settings.STATIC_URL):])
    assert found, f"{url} not found"
    with open(found, "rb") as handle:
        return handle.read()


def is_same_origin(url):
    parts = urlsplit(url)
    return not parts.netloc and parts.scheme in ("", "data")


@pytest.mark.django_db
@pytest.mark.parametrize("url", ARTICLES)
def test_article_html_css_and_js_stay_under_60_kb(client, demo_site, url):
    response = client.get(url)
    assert response.status_code == 200
    parser = Resources()
    parser.feed(response.content.decode())
    assert parser.styles, "the page links its stylesheet"
    total = len(response.content)
    for asset in sorted(set(parser.styles + parser.scripts)):
        if is_same_origin(asset):
            total += len(static_bytes(asset))
    assert total < LIMIT, f"{url}: {total} bytes"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ARTICLES)
def test_article_page_fetches_nothing_from_another_host(client, demo_site, url):
    parser = Resources()
    parser.feed(client.get(url).content.decode())
    assert parser.fetched
    foreign = [u for u in parser.fetched if not is_same_origin(u)]
    assert foreign == []
    for asset in set(parser.styles):
        assert not CSS_REMOTE.search(static_bytes(asset).decode()), asset
    for asset in set(parser.scripts):
        assert not JS_REMOTE.search(static_bytes(asset).decode()), asset
