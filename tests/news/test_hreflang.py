"""One set of hreflang alternates for a page, in its HTML and in the sitemap, naming only
versions that exist with content (seo.hreflang_alternates)."""

import re

import pytest
from django.test import Client

from samizdat.news.models import ArticlePage

from .test_sitemaps import BASE, sitemap_entries

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">')


@pytest.fixture(autouse=True)
def _site_url_is_the_test_host(settings):
    settings.SITE_URL = BASE


def html_alternates(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return dict(LINK.findall(response.content.decode()))


def test_every_page_in_the_sitemap_names_the_same_alternates_in_its_html(client, demo_site):
    entries = sitemap_entries(client)
    assert len(entries) > 50
    for loc, entry in entries.items():
        assert html_alternates(client, loc[len(BASE) :]) == entry["alternates"], loc
        # Every alternate named is itself a page of the sitemap, naming the same set.
        for href in entry["alternates"].values():
            assert entries[href]["alternates"] == entry["alternates"], (loc, href)


def test_a_tag_without_articles_in_a_language_names_no_version_in_it(client, demo_site):
    english_only = ArticlePage.objects.get(slug="bereza-election-count-questioned")
    english_only.tags.add("count")
    english_only.save_revision().publish()
    tag = BASE + "/tags/count/"
    assert html_alternates(client, "/tags/count/") == {"en": tag, "x-default": tag}
    # The Russian list of the tag is empty: not a version of anything.
    assert html_alternates(client, "/ru/tags/count/") == {}


def test_search_and_missing_pages_name_no_alternates(client, demo_site):
    assert html_alternates(client, "/search/?q=strike") == {}
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert not LINK.search(response.content.decode())
