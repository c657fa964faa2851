"""The mirror list: admin validation, /mirrors/, signed mirrors.json, Onion-Location."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from samizdat.mirrors.models import Mirror

pytestmark = pytest.mark.django_db

ONION = "http://" + "a" * 56 + ".onion"


@pytest.mark.parametrize("kind,url", [
    ("https", "http://mirror.example.org/"),
    ("https", "https://" + "b" * 56 + ".onion/"),
    ("https", "https://user:pw@mirror.example.org/"),
    ("https", "https://mirror.example.org/?utm_source=x"),
    ("onion", "http://short.onion/"),
    ("onion", "https://mirror.example.org/"),
    ("ipfs", "ipfs://not-a-cid"),
    ("ipfs", "https://gateway.example.org/some/path/"),
    ("other", "ftp://files.example.org/"),
])
def test_invalid_mirror_url_for_its_kind_is_refused(kind, url):
    with pytest.raises(ValidationError) as error:
        Mirror(kind=kind, url=url).full_clean()
    assert "url" in error.value.message_dict


@pytest.mark.parametrize("kind,url", [
    ("https", "https://mirror.example.org/"),
    ("onion", ONION + "/"),
    ("ipfs", "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"),
    ("ipfs", "https://ipfs.example.org/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/"),
    ("other", "http://192.0.2.10:8080/"),
])
def test_valid_mirror_urls_are_accepted(kind, url):
    Mirror(kind=kind, url=url).full_clean()


def test_admin_add_form_rejects_a_bad_url_and_saves_nothing(staff_client):
    response = staff_client.post("/admin/snippets/mirrors/mirror/add/", {
        "url": "http://not-https.example.org/", "kind": "https", "status": "active",
        "label": "", "note": "", "blocked_at": "", "retired_at": "",
    })
    assert response.status_code == 200
    assert "must use https" in response.content.decode()
    assert not Mirror.objects.exists()


def test_blocking_a_mirror_dates_it_and_drops_it_from_the_published_list(client, settings):
    settings.SITE_URL = "https://news.example.org"
    live = Mirror.objects.create(url="https://m1.example.org/", kind="https")
    gone = Mirror.objects.create(url="https://m2.example.org/", kind="https")
    gone.status = Mirror.Status.BLOCKED
    gone.save()
    assert gone.blocked_at is not None
    Mirror.objects.create(url="https://m3.example.org/", kind="https", status="retired")
    page = client.get("/mirrors/").content.decode()
    assert "https://m1.example.org/" in page and "m2.example.org" not in page
    assert "m3.example.org" not in page
    data = client.get("/mirrors.json").json()
    site = data["sites"][0]
    assert site["main_domain"] == "news.example.org"
    assert [a["url"] for a in site["available_alternatives"]] == [live.url]
    alt = site["available_alternatives"][0]
    assert set(alt) == {"proto", "type", "url", "created_at", "updated_at"}
    assert alt["proto"] == "https"
    valid_until = datetime.datetime.fromisoformat(data["valid_until"].replace("Z", "+00:00"))
    assert valid_until > timezone.now()


def test_mirrors_json_signature_verifies_with_the_published_key(client, signing_key):
    Mirror.objects.create(url=ONION + "/", kind="onion")
    body = client.get("/mirrors.json").content
    signature = client.get("/mirrors.json.minisig").content.decode()
    from samizdat.mirrors.signing import PublicKey

    published = PublicKey.from_text(client.get("/.well-known/samizdat-mirror.pub").content.decode())
    assert published.line == signing_key.public_key.line
    published.verify(body, signature)
    assert json.loads(body)["sites"][0]["available_alternatives"][0]["proto"] == "tor"


def test_mirrors_page_works_in_russian_and_every_page_links_to_it(client, demo_site):
    assert client.get("/ru/mirrors/").status_code == 200
    for path in ("/", "/news/", "/ru/"):
        html = client.get(path).content.decode()
        assert 'href="/mirrors/"' in html or 'href="/ru/mirrors/"' in html


def test_onion_location_header_only_when_an_onion_address_is_set(client, demo_site, settings):
    settings.SAMIZDAT_ONION_URL = ""
    assert "Onion-Location" not in client.get("/news/")
    Mirror.objects.create(url=ONION + "/", kind="onion")
    assert client.get("/news/")["Onion-Location"] == ONION + "/news/"
    settings.SAMIZDAT_ONION_URL = "http://" + "c" * 56 + ".onion"
    assert client.get("/news/")["Onion-Location"] == settings.SAMIZDAT_ONION_URL + "/news/"
    assert "Onion-Location" not in client.get("/mirrors.json")


def test_the_list_names_onions_and_ipfs_copies_as_the_extension_selects_them(client, settings):
    """The Bypass Censorship extension offers as bridges only alternatives whose `type` is
    "tor" or "eotk", and as mirrors those whose `proto` is "https" (its popup's filters)."""
    settings.SITE_URL = "https://news.example.org"
    Mirror.objects.create(url="https://m1.example.org/", kind="https")
    Mirror.objects.create(url=ONION + "/", kind="onion")
    gateway = ("https://gateway.example.org/ipfs/"
               "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/")
    Mirror.objects.create(url=gateway, kind="ipfs")
    alternatives = client.get("/mirrors.json").json()["sites"][0]["available_alternatives"]
    by_url = {a["url"]: (a["proto"], a["type"]) for a in alternatives}
    assert by_url == {"https://m1.example.org/": ("https", "mirror"),
                      ONION + "/": ("tor", "eotk"), gateway: ("https", "ipfs")}
    bridges = [a["url"] for a in alternatives if a["type"] in ("tor", "eotk")]
    proxies = [a["url"] for a in alternatives if a["proto"] == "https"]
    assert bridges == [ONION + "/"]
    assert set(proxies) == {"https://m1.example.org/", gateway}
