"""Signing up from a static mirror: the exported pages' sign-up forms post to the donation
origin, as contributions do, and that origin accepts the cross-origin POST (no CSRF token
can be in a static file). Only the sign-up is open so: every other form still needs its
token."""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client

from samizdat.newsletters.models import Newsletter, Subscription
from tests.mirrors.conftest import DONATION, PRIMARY, export, signing_key  # noqa: F401
from tests.news.discovery_factories import author, newsroom, publish_article, section

pytestmark = pytest.mark.django_db
MIRROR = "https://mirror-one.example"


class Forms(HTMLParser):
    """Every <form> of a page with the fields a browser would submit by default."""

    def __init__(self):
        super().__init__()
        self.forms, self.current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = {"attrs": attrs, "fields": {}}
            self.forms.append(self.current)
        elif tag == "input" and self.current is not None and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind not in ("checkbox", "radio") or "checked" in attrs:
                self.current["fields"][attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def forms_of(path):
    parser = Forms()
    parser.feed(path.read_text())
    return parser.forms


def csp_of(path):
    return re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"',
                     path.read_text()).group(1)


@pytest.fixture
def exported(signing_key, tmp_path, settings):  # noqa: F811
    newsroom()
    english = Newsletter.objects.create(name="Morning Brief", cadence="daily")
    russian = Newsletter.objects.create(name="Утренняя сводка", cadence="daily", language="ru")
    story = publish_article(section(), "Dam breaks upstream", authors=[author("ana", "Ana")])
    publish_article(section(language="ru"), "Плотина", authors=[author("ana", "Ana")])
    export(tmp_path / "out")
    settings.ALLOWED_HOSTS = [urlsplit(DONATION).hostname, urlsplit(PRIMARY).hostname]
    return {"out": tmp_path / "out", "story": story, "en": english, "ru": russian}


def post_from_mirror(action, fields):
    """What a browser on the mirror sends: a cross-site POST to another origin, with no
    cookie and no CSRF token (a fresh client, CSRF checks on, as in production)."""
    parts = urlsplit(action)
    client = Client(enforce_csrf_checks=True)
    return client.post(parts.path, fields, HTTP_HOST=parts.netloc, HTTP_ORIGIN=MIRROR,
                       HTTP_SEC_FETCH_SITE="cross-site", secure=parts.scheme == "https")


def test_an_exported_articles_footer_form_signs_up_at_the_donation_origin(exported):
    page = exported["out"] / exported["story"].url.strip("/") / "index.html"
    [footer] = [f for f in forms_of(page) if "site-footer__newsletter" in
                f["attrs"].get("class", "")]
    assert footer["attrs"]["action"] == f"{DONATION}/newsletters/"
    assert footer["attrs"]["method"] == "post"
    assert "csrfmiddlewaretoken" not in footer["fields"]
    assert f"form-action 'self' {DONATION}" in csp_of(page)  # the mirror lets it post there
    mail.outbox.clear()
    response = post_from_mirror(footer["attrs"]["action"],
                                {**footer["fields"], "email": "reader@example.org"})
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    subscription = Subscription.objects.get()
    assert (subscription.newsletter, subscription.source) == (exported["en"], "footer")
    [message] = mail.outbox
    assert f"{DONATION}/newsletters/confirm/" in message.body  # confirmed at the origin too


def test_a_russian_pages_footer_subscribes_to_the_russian_newsletter(exported):
    ru_pages = [p for p in (exported["out"] / "ru").rglob("index.html")
                if "site-footer__newsletter" in p.read_text()]
    assert ru_pages
    [footer] = [f for f in forms_of(ru_pages[0]) if "site-footer__newsletter" in
                f["attrs"].get("class", "")]
    assert footer["attrs"]["action"] == f"{DONATION}/ru/newsletters/"
    post_from_mirror(footer["attrs"]["action"],
                     {**footer["fields"], "email": "chitatel@example.org"})
    assert Subscription.objects.get().newsletter == exported["ru"]


def test_the_exported_newsletters_page_form_posts_to_the_donation_origin(exported):
    page = exported["out"] / "newsletters" / "index.html"
    [form] = [f for f in forms_of(page) if "newsletters__form" in f["attrs"].get("class", "")]
    assert form["attrs"]["action"] == f"{DONATION}/newsletters/"
    assert "csrfmiddlewaretoken" not in form["fields"]
    response = post_from_mirror(form["attrs"]["action"], {
        **form["fields"], "email": "reader@example.org",
        "newsletters": [str(exported["en"].pk), str(exported["ru"].pk)]})
    assert response.status_code == 200
    assert {s.source for s in Subscription.objects.all()} == {"page"}
    assert Subscription.objects.count() == 2


def test_other_forms_still_refuse_a_cross_origin_post_without_a_token(exported):
    """Only the sign-up (which asks for a confirmation e-mail, nothing more) takes a
    tokenless cross-origin POST; the self-service pages and the contribution form do
    not."""
    for path in ("/newsletters/manage/", "/newsletters/manage/save/", "/support/"):
        response = post_from_mirror(DONATION + path, {"email": "reader@example.org"})
        assert response.status_code == 403, path
