"""The clearnet copy points Tor users to the onion; the onion copy never to clearnet."""

import re

import pytest

from samizdat.mirrors.manifest import walk_files

from .conftest import PRIMARY, export

pytestmark = pytest.mark.django_db

ONION = "http://" + "d" * 56 + ".onion"


def test_onion_export_links_to_no_clearnet_host_and_clearnet_export_names_the_onion(
        demo_site, signing_key, settings, tmp_path):
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
    export(tmp_path / "clear")
    clear = (tmp_path / "clear/news/court-jails-school-librarian/index.html").read_text()
    assert re.search(
        rf'<meta http-equiv="onion-location" content="{ONION}/news/court-jails-school-librarian/">',
        clear)
