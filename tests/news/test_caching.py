"""Anonymous pages are cacheable by anyone; publishing purges what changed."""

import http.server
import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from samizdat.news.models import ArticlePage, SectionPage

ARTICLE = "/news/river-port-strike-enters-third-week/"
ARTICLE_RU = "/ru/news/river-port-strike-enters-third-week/"


class PurgeRecorder(http.server.BaseHTTPRequestHandler):
    """A cache's purge endpoint: answers 200 and remembers what it was asked."""

    def do_PURGE(self):  # noqa: N802 - the HTTP method's name
        self.server.purged.append((self.headers["Host"], self.path))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def purge_server(settings):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PurgeRecorder)  # a free port
    server.purged = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.WAGTAILFRONTENDCACHE = {
        "http": {
            "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
            "LOCATION": f"http://127.0.0.1:{server.server_address[1]}",
        }
    }
    yield server.purged
    server.shutdown()
    server.server_close()


def purged_paths(purged):
    return {path for _host, path in purged}


@pytest.fixture
def staff_client(client, demo_site):
    """An editor (not a superuser, so no two-factor step in the way)."""
    user = get_user_model().objects.create_user("editor", "e@example.org", "pw-editor-1")
    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/ru/", "/news/", ARTICLE, ARTICLE_RU, "/tags/labour/",
                                 "/authors/anna-weiss/"])
def test_anonymous_pages_may_be_kept_by_a_shared_cache(client, demo_site, settings, url):
    settings.SAMIZDAT_PAGE_CACHE_SECONDS = 300
    response = client.get(url)
    assert response.status_code == 200
    assert not response.cookies
    control = response["Cache-Control"]
    assert "public" in control and "s-maxage=300" in control and "max-age=60" in control
    assert "Accept-Language" not in response.get("Vary", "")


@pytest.mark.django_db
def test_repeated_anonymous_request_is_served_from_the_page_cache(client, demo_site):
    first = client.get(ARTICLE)
    second = client.get(ARTICLE)
    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["Cache-Control"] == first["Cache-Control"]
    assert not second.cookies


@pytest.mark.django_db
def test_page_cache_keeps_languages_and_queries_apart(client, demo_site):
    english = client.get(ARTICLE).content.decode()
    russian = client.get(ARTICLE_RU).content.decode()
    assert "Забастовка" in russian and "Забастовка" not in english
    port = client.get("/search/?q=port").content.decode()
    court = client.get("/search/?q=librarian").content.decode()
    assert port != court


@pytest.mark.django_db
def test_page_cache_can_be_switched_off(client, demo_site, settings):
    settings.SAMIZDAT_PAGE_CACHE = False
    client.get(ARTICLE)
    response = client.get(ARTICLE)
    assert "X-Page-Cache" not in response
    assert "public" in response["Cache-Control"]


@pytest.mark.django_db
def test_staff_get_private_pages_never_from_the_page_cache(client, staff_client):
    from django.test import Client

    Client().get(ARTICLE)  # an anonymous reader fills the cache
    response = staff_client.get(ARTICLE)
    assert "X-Page-Cache" not in response
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


@pytest.mark.django_db
def test_admin_and_preview_are_private(staff_client):
    article = ArticlePage.objects.get(slug="river-port-strike-enters-third-week",
                                      locale__language_code="en")
    admin = staff_client.get(f"/admin/pages/{article.pk}/edit/")
    assert admin.status_code == 200
    assert "public" not in admin["Cache-Control"]
    assert "private" in admin["Cache-Control"] or "no-store" in admin["Cache-Control"]
    preview = staff_client.get(f"/admin/pages/{article.pk}/view_draft/")
    assert preview.status_code == 200
    assert b"River port strike" in preview.content
    assert "public" not in preview["Cache-Control"]
    assert "X-Page-Cache" not in preview


@pytest.mark.django_db
def test_a_page_that_sets_a_cookie_is_private_and_not_cached(client, demo_site):
    response = client.get("/admin/login/")
    assert response.cookies  # the CSRF cookie of the sign-in form
    assert "public" not in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    form_page = client.get("/support/")
    if form_page.cookies:
        assert "public" not in form_page["Cache-Control"]
        assert "X-Page-Cache" not in client.get("/support/")


@pytest.mark.django_db
def test_publishing_a_new_article_purges_the_cached_home_and_section(client, demo_site):
    home_before = client.get("/").content.decode()
    section_before = client.get("/news/").content.decode()
    assert client.get("/").get("X-Page-Cache") == "hit"
    section = SectionPage.objects.get(slug="news", locale__language_code="en")
    article = ArticlePage(title="Ferry crossing reopens after the ice", slug="ferry-reopens",
                          standfirst="Boats run again.")
    section.add_child(instance=article)
    article.save_revision().publish()
    home_after = client.get("/")
    assert home_after["X-Page-Cache"] == "miss"
    assert "Ferry crossing reopens" in home_after.content.decode()
    assert "Ferry crossing reopens" not in home_before
    assert "Ferry crossing reopens" in client.get("/news/").content.decode()
    assert "Ferry crossing reopens" not in section_before


@pytest.mark.django_db
def test_unpublishing_an_article_removes_it_from_the_cache(client, demo_site):
    assert client.get(ARTICLE).status_code == 200
    assert client.get(ARTICLE)["X-Page-Cache"] == "hit"
    ArticlePage.objects.get(slug="river-port-strike-enters-third-week",
                            locale__language_code="en").unpublish()
    assert client.get(ARTICLE).status_code == 404


@pytest.mark.django_db
def test_deleting_an_article_removes_it_from_the_cached_section(client, demo_site):
    assert "River port strike" in client.get("/news/").content.decode()
    ArticlePage.objects.get(slug="river-port-strike-enters-third-week",
                            locale__language_code="en").delete()
    assert "River port strike" not in client.get("/news/").content.decode()


@pytest.mark.django_db
def test_publishing_sends_purges_for_page_section_homes_tags_authors_and_feeds(
    demo_site, purge_server, django_capture_on_commit_callbacks
):
    article = ArticlePage.objects.get(slug="river-port-strike-enters-third-week",
                                      locale__language_code="en")
    article.title = "River port strike enters its fourth week"
    with django_capture_on_commit_callbacks(execute=True):
        article.save_revision().publish()
    paths = purged_paths(purge_server)
    assert {
        ARTICLE, "/news/", "/news/page/2/", "/", "/ru/", "/tags/labour/", "/tags/ports/",
        "/authors/anna-weiss/", "/feeds/rss/", "/feeds/atom/", "/feeds/sections/news/rss/",
        "/feeds/sections/news/atom/", "/feeds/authors/anna-weiss/rss/",
        "/feeds/authors/anna-weiss/atom/",
    } <= paths
    assert {host for host, _path in purge_server} == {"localhost"}


@pytest.mark.django_db
def test_russian_article_purges_russian_feeds_and_tag_pages(
    demo_site, purge_server, django_capture_on_commit_callbacks
):
    article = ArticlePage.objects.get(slug="river-port-strike-enters-third-week",
                                      locale__language_code="ru")
    with django_capture_on_commit_callbacks(execute=True):
        article.save_revision().publish()
    paths = purged_paths(purge_server)
    assert {ARTICLE_RU, "/ru/news/", "/ru/feeds/rss/", "/ru/feeds/sections/news/atom/",
            "/ru/authors/anna-weiss/", "/ru/feeds/authors/anna-weiss/rss/"} <= paths
    assert "/ru/tags/%D1%82%D1%80%D1%83%D0%B4/" in paths  # /ru/tags/труд/
    assert "/feeds/rss/" not in paths


@pytest.mark.django_db
def test_unpublishing_and_deleting_send_purges(
    demo_site, purge_server, django_capture_on_commit_callbacks
):
    article = ArticlePage.objects.get(slug="court-jails-school-librarian",
                                      locale__language_code="en")
    with django_capture_on_commit_callbacks(execute=True):
        article.unpublish()
    assert "/news/court-jails-school-librarian/" in purged_paths(purge_server)
    purge_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        article.delete()
    paths = purged_paths(purge_server)
    assert {"/news/court-jails-school-librarian/", "/news/", "/tags/courts/",
            "/feeds/authors/anna-weiss/rss/"} <= paths


@pytest.mark.django_db
def test_moving_an_article_purges_its_old_and_new_addresses(
    client, demo_site, purge_server, django_capture_on_commit_callbacks
):
    article = ArticlePage.objects.get(slug="court-jails-school-librarian",
                                      locale__language_code="en")
    assert client.get("/news/court-jails-school-librarian/").status_code == 200
    culture = SectionPage.objects.get(slug="culture", locale__language_code="en")
    with django_capture_on_commit_callbacks(execute=True):
        article.move(culture, pos="last-child")
    paths = purged_paths(purge_server)
    assert {"/news/court-jails-school-librarian/", "/culture/court-jails-school-librarian/",
            "/news/", "/culture/"} <= paths
    moved = client.get("/news/court-jails-school-librarian/")
    assert moved.status_code == 301  # Wagtail's redirect, not the stale cached page
    assert moved["Location"].endswith("/culture/court-jails-school-librarian/")
    assert client.get("/culture/court-jails-school-librarian/").status_code == 200


@pytest.mark.django_db
def test_a_page_stored_before_the_publish_committed_is_not_served_after(
    client, demo_site, django_capture_on_commit_callbacks
):
    """A reader on another connection renders during the publishing transaction: it
    still sees the old rows and stores them. Once committed, that copy must not be served."""
    from django.test import RequestFactory

    from samizdat.news.pagecache import cache_key, current_generation, page_cache

    old = client.get(ARTICLE)
    article = ArticlePage.objects.get(slug="river-port-strike-enters-third-week",
                                      locale__language_code="en")
    article.title = "River port strike enters its fourth week"
    with django_capture_on_commit_callbacks(execute=True):
        article.save_revision().publish()
        in_gap = RequestFactory().get(ARTICLE)
        key = cache_key(in_gap, current_generation())
        page_cache().set(key, (200, list(old.items()), old.content), 300)
    fresh = client.get(ARTICLE).content.decode()
    assert "fourth week" in fresh


@pytest.mark.django_db
def test_editing_an_author_refreshes_cached_pages(client, demo_site):
    from samizdat.news.models import Author

    assert "Anna Weiss" in client.get(ARTICLE).content.decode()
    Author.objects.filter(slug="anna-weiss").update(name="A. Weiss")  # no signal: still cached
    assert "Anna Weiss" in client.get(ARTICLE).content.decode()
    author = Author.objects.get(slug="anna-weiss")
    author.save()  # as the snippet editor does
    assert "A. Weiss" in client.get(ARTICLE).content.decode()



@pytest.mark.django_db
def test_pages_about_one_contribution_are_never_public(client, demo_site):
    response = client.get("/support/thanks/NO-SUCH-REFERENCE/")
    assert "public" not in response.get("Cache-Control", "")
    assert "private" in response["Cache-Control"]
    assert "X-Page-Cache" not in client.get("/support/thanks/NO-SUCH-REFERENCE/")


@pytest.mark.django_db
def test_search_results_are_never_kept_by_a_shared_cache(client, demo_site, settings):
    """A query left in a cache is a query on disk under its own text as the key."""
    settings.SAMIZDAT_PAGE_CACHE = True
    for _ in range(2):
        response = client.get("/search/?q=how+to+leave+the+country")
        assert response.status_code == 200
        assert {"private", "no-store"} <= {
            part.strip() for part in response["Cache-Control"].split(",")}
        assert "public" not in response["Cache-Control"]


@pytest.mark.django_db
def test_a_page_made_private_is_no_longer_served_from_the_cache(client, demo_site, purge_server,
                                                               django_capture_on_commit_callbacks):
    """A view restriction used to leave the public copy in the page cache."""
    from wagtail.models import PageViewRestriction

    article = ArticlePage.objects.get(slug="river-port-strike-enters-third-week",
                                      locale__language_code="en")
    assert client.get(ARTICLE).status_code == 200
    assert client.get(ARTICLE)["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        restriction = PageViewRestriction.objects.create(
            page=article, restriction_type=PageViewRestriction.PASSWORD, password="s3cret")
    hidden = client.get(ARTICLE)
    assert hidden.get("X-Page-Cache") != "hit"
    assert 'type="password"' in hidden.content.decode()  # the reader is asked for it
    assert any(path == ARTICLE for _host, path in purge_server)  # nginx asked too
    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()
    assert client.get(ARTICLE).status_code == 200
