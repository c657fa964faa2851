"""A client's Host header never reaches a cached page, feed or sitemap.

`Host: localhost:9999` used to put https://localhost:9999/… into the hreflang
links of a cached page, served to everyone after (issue: hardening, item 11).
Every absolute link is now built from SITE_URL.
"""

import pytest

pytestmark = pytest.mark.django_db

HOSTILE = "localhost:9999"
URLS = ["/", "/news/river-port-strike-enters-third-week/", "/ru/", "/feeds/rss/",
        "/feeds/atom/", "/ru/feeds/rss/", "/sitemap.xml", "/news-sitemap.xml"]


@pytest.mark.parametrize("url", URLS)
def test_a_hostile_host_header_leaves_no_trace_in_what_others_are_served(
        client, demo_site, settings, url):
    settings.ALLOWED_HOSTS = ["*"]  # as behind a proxy that passes any Host through
    settings.SITE_URL = "https://news.example.org"
    poisoned = client.get(url, HTTP_HOST=HOSTILE)
    assert poisoned.status_code == 200, url
    assert HOSTILE not in poisoned.content.decode()
    later = client.get(url)  # another reader, maybe from the page cache
    body = later.content.decode()
    assert HOSTILE not in body
    assert "https://news.example.org/" in body
