"""Every identifier in a URL is checked against its pattern before any query runs.

A NUL byte in a reference (/support/thanks/A%00/) used to reach PostgreSQL, which
refuses it with an error: a 500. Now no Samizdat URL uses the catch-all `str`
converter, and bad identifiers are 404s on both databases.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import StringConverter

pytestmark = pytest.mark.django_db

BAD = ["A%00", "%00", "A" * 300, "%D0%96%D0%96", "A%00B-CDEF-GHJK"]
URLS = [
    "/support/thanks/{}/", "/support/cancel/{}/", "/support/bank-transfer/{}/",
    "/support/demo-checkout/{}/", "/support/manage/link/{}/", "/support/receipts/{}/",
    "/appeals/reminder/{}/cancel/", "/support/webhooks/{}/",
    "/support/staff/transfer/{}/", "/support/staff/demo-renewal/{}/",
    "/ru/support/thanks/{}/",
]


def _patterns(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_no_samizdat_url_takes_an_unchecked_string():
    unchecked = [
        route for route, entry in _patterns(get_resolver())
        if entry.lookup_str.startswith("samizdat.")
        and any(type(c) is StringConverter
                for c in getattr(entry.pattern, "converters", {}).values())
    ]
    assert unchecked == []


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("bad", BAD)
def test_a_malformed_identifier_is_a_404_not_a_server_error(client, admin_client, url, bad):
    who = admin_client if "/staff/" in url else client
    for method in (who.get, who.post):
        response = method(url.format(bad))
        assert response.status_code in (404, 405), (url, bad, response.status_code)


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "page=%00", "q=" + "x" * 5000])
def test_search_with_a_nul_byte_or_a_huge_query_is_not_a_server_error(client, demo_site, query):
    response = client.get(f"/search/?{query}")
    assert response.status_code == 200, response.status_code
