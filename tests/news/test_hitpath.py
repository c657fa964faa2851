"""Page cache hits answered in front of Django (news/hitpath.py, samizdat/wsgi.py): the
same bytes and headers as a hit through the whole stack; never for staff, previews,
the admin, private pages, POSTs or HEADs."""

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import RequestFactory

from samizdat.news.hitpath import PageCacheHits

ARTICLE = "/news/river-port-strike-enters-third-week/"
HOST = "news.example.org"
ONION = "http://samizdatexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"

pytestmark = pytest.mark.django_db


class Spy:
    """Django's WSGI application, counting the requests that reached it."""

    def __init__(self):
        self.django = WSGIHandler()
        self.calls = 0

    def __call__(self, environ, start_response):
        self.calls += 1
        return self.django(environ, start_response)


def call(app, path, method="get", cookies=None, **extra):
    """(status, [headers], body) of one WSGI request."""
    factory = RequestFactory()
    if cookies:
        factory.cookies.load(cookies)
    environ = getattr(factory, method)(path, HTTP_HOST=HOST, secure=True, **extra).environ
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = status, headers

    response = app(environ, start_response)
    body = b"".join(response)
    if hasattr(response, "close"):  # optional in WSGI (a plain list has none)
        response.close()
    return answer["status"], answer["headers"], body


@pytest.fixture
def apps(settings, demo_site):
    """(the wrapped application, the Django application inside it, Django alone)."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.SAMIZDAT_PAGE_CACHE = True
    settings.SAMIZDAT_ONION_URL = ONION  # Onion-Location: a header added in front
    settings.SECURE_HSTS_SECONDS = 3600
    inner = Spy()
    # As Django's test client does: a request must not close the test's database.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield PageCacheHits(inner), inner, WSGIHandler()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("path", ["/", "/ru/", ARTICLE, "/news/", "/tags/labour/",
                                  "/authors/anna-weiss/", "/privacy/"])
def test_a_hit_in_front_of_django_equals_a_hit_through_the_whole_stack(apps, path):
    wrapped, inner, django = apps
    status, headers, body = call(wrapped, path)  # a miss: stored by the middleware
    assert inner.calls == 1
    assert ("X-Page-Cache", "miss") in headers, headers
    full = call(django, path)  # a hit through every middleware
    assert ("X-Page-Cache", "hit") in full[1]
    front = call(wrapped, path)
    assert inner.calls == 1  # answered in front: Django never saw it
    assert front == full
    names = {name for name, _value in front[1]}
    assert {"Content-Security-Policy", "Permissions-Policy", "Strict-Transport-Security",
            "Onion-Location", "Cache-Control", "Referrer-Policy",
            "X-Content-Type-Options"} <= names, names
    assert dict(front[1])["Onion-Location"] == ONION + path
    assert front[2] == body


def test_query_strings_are_kept_apart(apps):
    wrapped, inner, _django = apps
    call(wrapped, "/news/")
    call(wrapped, "/news/?utm=1")
    assert inner.calls == 2
    call(wrapped, "/news/?utm=1")
    assert inner.calls == 2


def test_staff_previews_admin_private_pages_and_other_methods_go_to_django(apps, settings):
    wrapped, inner, _django = apps
    call(wrapped, ARTICLE)
    call(wrapped, ARTICLE)
    assert inner.calls == 1  # stored, then answered in front

    def reaches_django(path, **kwargs):
        before = inner.calls
        status, headers, _body = call(wrapped, path, **kwargs)
        assert inner.calls == before + 1, (path, kwargs)
        assert ("X-Page-Cache", "hit") not in headers
        return status, dict(headers)

    # Signed-in staff (their session cookie), even with a stored page for that URL.
    _status, headers = reaches_django(ARTICLE, cookies={settings.SESSION_COOKIE_NAME: "x"})
    assert "private" in headers["Cache-Control"]
    reaches_django(ARTICLE, cookies={"messages": "x"})
    reaches_django(ARTICLE, method="head")
    reaches_django(ARTICLE, method="post")
    reaches_django(ARTICLE + "?" + "q=" + "x" * 600)
    # Previews and the admin live under the admin path: never answered in front.
    reaches_django(f"/{settings.WAGTAIL_ADMIN_PATH}/pages/2/view_draft/")
    reaches_django(f"/{settings.WAGTAIL_ADMIN_PATH}/login/")
    # A page about one contribution is never stored, so never answered in front.
    for _ in range(2):
        _status, headers = reaches_django("/support/thanks/NO-SUCH-REFERENCE/")
        assert "private" in headers["Cache-Control"]


def test_a_host_we_do_not_serve_gets_djangos_answer(apps, settings):
    wrapped, inner, django = apps
    settings.ALLOWED_HOSTS = [HOST]
    factory = RequestFactory()
    answers = []
    for app in (wrapped, django):
        environ = factory.get(ARTICLE, HTTP_HOST="evil.example").environ
        app(environ, lambda status, headers, exc_info=None: answers.append(status))
    assert answers == ["400 Bad Request", "400 Bad Request"]
    assert inner.calls == 1


def test_switched_off_page_cache_serves_nothing_in_front(apps, settings):
    wrapped, inner, _django = apps
    settings.SAMIZDAT_PAGE_CACHE = False
    call(wrapped, ARTICLE)
    call(wrapped, ARTICLE)
    assert inner.calls == 2


def test_the_wsgi_entry_point_is_wrapped():
    from samizdat import wsgi

    assert isinstance(wsgi.application, PageCacheHits)
    assert wsgi.application.application is wsgi.django_application


def test_a_second_hit_from_the_process_memory_equals_the_whole_stack(apps):
    wrapped, inner, django = apps
    call(wrapped, ARTICLE)  # a miss, stored
    call(wrapped, ARTICLE)  # a hit from the shared cache, kept in this process
    assert wrapped.local.entries
    full = call(django, ARTICLE)
    again = call(wrapped, ARTICLE)  # from this process's memory
    assert inner.calls == 1
    assert again == full


@pytest.mark.parametrize("forget", ["publish", "site-wide"])
def test_publishing_forgets_a_page_kept_in_every_process(apps, forget):
    """Two wrappers stand for two worker processes, each with its own memory."""
    from samizdat.news.pagecache import forget_paths, new_generation

    first, inner, _django = apps
    second = PageCacheHits(inner)
    for app in (first, second, first, second):
        call(app, ARTICLE)
    assert inner.calls == 1 and first.local.entries and second.local.entries
    if forget == "publish":
        forget_paths([ARTICLE])
    else:
        new_generation()
    status, headers, _body = call(second, ARTICLE)
    assert inner.calls == 2 and ("X-Page-Cache", "miss") in headers
    status, headers, _body = call(first, ARTICLE)  # stored afresh by the second
    assert inner.calls == 2 and ("X-Page-Cache", "hit") in headers


def test_a_page_kept_in_memory_expires_with_its_seconds(apps, settings, monkeypatch):
    wrapped, inner, _django = apps
    call(wrapped, ARTICLE)
    call(wrapped, ARTICLE)
    (key, entry), = wrapped.local.entries.items()
    wrapped.local.entries[key] = (0.0, *entry[1:])  # its seconds are over
    status, headers, _body = call(wrapped, ARTICLE)  # read again from the shared cache
    assert ("X-Page-Cache", "hit") in headers and inner.calls == 1
    assert wrapped.local.entries[key][0] > 0.0
