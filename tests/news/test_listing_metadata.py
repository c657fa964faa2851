"""Home, section, tag and author pages describe themselves to link previews and search."""

import re

import pytest

ARTICLE = "/news/river-port-strike-enters-third-week/"


def meta(html, prop):
    return re.findall(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)">', html)


def heading(html):
    return re.search(r"<h1[^>]*>([^<]*)</h1>", html).group(1).strip()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/ru/", "/news/", "/tags/labour/", "/authors/anna-weiss/"])
def test_listing_pages_carry_opengraph(client, demo_site, url):
    html = client.get(url).content.decode()
    assert meta(html, "og:type") == ["website"]
    assert meta(html, "og:title") == [heading(html)]
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)
    assert meta(html, "og:url") == [canonical]
    assert meta(html, "og:locale") == (["ru_RU"] if url.startswith("/ru/") else ["en_US"])
    assert meta(html, "og:site_name") and meta(html, "og:site_name")[0]


@pytest.mark.django_db
def test_home_has_a_meta_description_and_articles_keep_their_own_tags(client, demo_site):
    from samizdat.news.models import OutletSettings

    tagline = OutletSettings.objects.get().tagline_for("en")
    home = client.get("/").content.decode()
    assert tagline and meta(home, "description") == [tagline]
    article = client.get(ARTICLE).content.decode()
    assert meta(article, "og:type") == ["article"]
