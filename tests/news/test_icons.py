"""The site's icons: /favicon.ico answers, pages name their icons, the admin can replace them."""

import re

import pytest
from django.contrib.staticfiles import finders

from samizdat.news.models import OutletSettings

from .discovery_factories import picture


def icon_links(html):
    return re.findall(r'<link rel="(icon|apple-touch-icon)" href="([^"]+)"([^>]*)>', html)


def static_file(url):
    path = url.split("/static/", 1)[1].split("?")[0]
    path = re.sub(r"\.[0-9a-f]{12}(\.\w+)$", r"\1", path)  # a hashed name, in production
    return finders.find(path)


@pytest.mark.django_db
def test_shipped_icons_are_named_and_favicon_ico_answers(client, demo_site):
    html = client.get("/").content.decode()
    links = icon_links(html)
    hrefs = [href for _rel, href, _rest in links]
    assert any(h.endswith(".ico") for h in hrefs)
    assert any('type="image/svg+xml"' in rest for _rel, _href, rest in links)
    assert any(rel == "apple-touch-icon" for rel, _href, _rest in links)
    for href in hrefs:
        assert static_file(href), href  # each file is shipped

    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert static_file(response["Location"]).endswith("favicon.ico")
    with open(static_file(response["Location"]), "rb") as ico:
        assert ico.read(4) == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.django_db
def test_an_icon_set_in_the_admin_replaces_the_shipped_ones(client, demo_site):
    outlet = OutletSettings.objects.get()
    outlet.icon = picture("Our logo", size=(400, 400))
    outlet.save()

    html = client.get("/news/").content.decode()
    hrefs = [href for _rel, href, _rest in icon_links(html)]
    assert hrefs and all("/media/" in h and h.endswith(".png") for h in hrefs)
    assert client.get("/favicon.ico")["Location"] in hrefs
