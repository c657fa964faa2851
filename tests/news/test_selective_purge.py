"""Publishing an article forgets only the pages it shows on (news/affected.py)."""

from urllib.parse import urlsplit

import pytest
from django.utils.encoding import iri_to_uri

from samizdat.news.affected import affected_urls
from samizdat.news.models import ArticlePage

from .test_caching import purge_server, purged_paths  # noqa: F401 - the loopback purge server

ARTICLE = "/news/river-port-strike-enters-third-week/"


def article_a():
    return ArticlePage.objects.get(slug="river-port-strike-enters-third-week",
                                   locale__language_code="en")


def unrelated_to(article):
    """A live English article in another section sharing no tag with `article` and not
    showing it under 'Read more' (the newest stories fill small sections' lists)."""
    from django.test import Client

    tags = set(article.tags.values_list("pk", flat=True))
    for other in ArticlePage.objects.live().filter(locale_id=article.locale_id).exclude(
            path__startswith=article.path[: -article.steplen]):
        if (not tags & set(other.tags.values_list("pk", flat=True))
                and article.url not in Client().get(other.url).content.decode()):
            return other
    raise AssertionError("the demo has no unrelated article")


def paths(urls):
    return {urlsplit(url).path for url in urls}


@pytest.mark.django_db
def test_publishing_an_article_keeps_unrelated_cached_pages(client, demo_site,
                                                            django_capture_on_commit_callbacks):
    a = article_a()
    b_url = unrelated_to(a).url
    section_url = a.get_parent().url
    for url in (ARTICLE, b_url, "/", section_url):
        client.get(url)
        assert client.get(url)["X-Page-Cache"] == "hit", url

    a.title = "River port strike enters its fourth week"
    with django_capture_on_commit_callbacks(execute=True):
        a.save_revision().publish()

    assert client.get(b_url)["X-Page-Cache"] == "hit"
    for url in (ARTICLE, "/", section_url):
        assert client.get(url)["X-Page-Cache"] == "miss", url
    assert "fourth week" in client.get(ARTICLE).content.decode()
    assert "fourth week" in client.get("/").content.decode()


@pytest.mark.django_db
def test_site_wide_changes_still_forget_every_page(client, demo_site):
    from samizdat.news.models import SectionPage

    b_url = unrelated_to(article_a()).url
    client.get(b_url)
    assert client.get(b_url)["X-Page-Cache"] == "hit"
    section = SectionPage.objects.get(slug="culture", locale__language_code="en")
    section.title = "Arts"
    section.save_revision().publish()  # the navigation of every page changes
    page = client.get(b_url)
    assert page["X-Page-Cache"] == "miss"
    assert ">Arts<" in page.content.decode()


@pytest.mark.django_db
def test_purges_sent_are_exactly_the_affected_urls(demo_site, purge_server,  # noqa: F811
                                                   django_capture_on_commit_callbacks):
    a = article_a()
    expected = {iri_to_uri(path) for path in paths(affected_urls(a))}
    with django_capture_on_commit_callbacks(execute=True):
        a.save_revision().publish()
    assert purged_paths(purge_server) == expected
    tags = list(a.tags.values_list("slug", flat=True))
    authors = [author.slug for author in a.authors]
    assert tags and authors
    assert {ARTICLE, "/ru" + ARTICLE, "/", "/ru/", "/news/", "/news/page/2/", "/feeds/rss/",
            "/sitemap.xml", "/news-sitemap.xml", "/feeds/sections/news/atom/"} <= expected
    assert {f"/tags/{slug}/" for slug in tags} <= expected
    assert {f"/authors/{slug}/" for slug in authors} <= expected
    assert unrelated_to(a).url not in expected
    # Articles with a tag of A list it under 'Read more'.
    neighbours = ArticlePage.objects.live().filter(
        locale_id=a.locale_id, tags__slug__in=tags).exclude(pk=a.pk)
    assert {n.url for n in neighbours} <= expected


@pytest.mark.django_db
def test_a_changed_headline_reaches_read_more_under_its_section_neighbours(
        client, demo_site, django_capture_on_commit_callbacks):
    """Read more also shows the section's newest stories, tags or not: pages that show
    the story there forget their cached copy when its headline changes."""
    a = article_a()
    tags = set(a.tags.values_list("pk", flat=True))
    shown_under = [
        other for other in ArticlePage.objects.live().filter(
            locale_id=a.locale_id, path__startswith=a.path[: -a.steplen], depth=a.depth)
        .exclude(pk=a.pk)
        if not tags & set(other.tags.values_list("pk", flat=True))
        and a.title in client.get(other.url).content.decode()]
    assert shown_under, "the demo has no section neighbour showing the story without a tag"
    for other in shown_under:
        assert client.get(other.url)["X-Page-Cache"] == "hit"

    a.title = "River port strike enters its fourth week"
    with django_capture_on_commit_callbacks(execute=True):
        a.save_revision().publish()

    for other in shown_under:
        page = client.get(other.url)
        assert "fourth week" in page.content.decode(), other.url
