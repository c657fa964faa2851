"""The clearnet copy points Tor users to the onion; the onion copy never to clearnet."""

import re

import pytest

from samizdat.mirrors.manifest import walk_files

from .conftest import PRIMARY, export

pytestmark = pytest.mark.django_db

ONION = "http://" + "d" * 56 + ".onion"


def test_onion_export_links_to_no_clearnet_host(demo_site, signing_key, settings, tmp_path):
    settings.SAMIZDAT_ONION_URL = ONION
    settings.SAMIZDAT_DONATION_ONION_ORIGIN = ""
    export(tmp_path / "onion", onion=True)
    for rel in walk_files(tmp_path / "onion"):
        if rel.endswith((".html", ".xml", ".json", ".txt")):
            text = (tmp_path / "onion" / rel).read_text("utf-8")
            assert PRIMARY not in text, rel
            assert "give.example.net" not in text, rel
    article = (tmp_path / "onion/news/court-jails-school-librarian/index.html").read_text()
    assert f'<link rel="canonical" href="{ONION}/news/court-jails-school-librarian/">' in article
    assert "onion-location" not in article


def test_every_page_of_the_clearnet_export_names_the_onion(signing_key, settings, tmp_path):
    """On the site the migrations make (a few pages): every page carries the header, so a
    small site shows it as well as the demo, whose export takes 15-50 s more."""
    settings.SAMIZDAT_ONION_URL = ONION
    export(tmp_path / "clear")
    pages = [rel for rel in walk_files(tmp_path / "clear") if rel.endswith("index.html")]
    assert "privacy/index.html" in pages and "ru/privacy/index.html" in pages
    for rel in pages:
        path = "/" + rel.removesuffix("index.html")
        clear = (tmp_path / "clear" / rel).read_text()
        assert re.search(
            rf'<meta http-equiv="onion-location" content="{re.escape(ONION + path)}">', clear), rel
