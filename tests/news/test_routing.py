"""Routing from the loader (news/routing.py) finds what Wagtail's own routing finds."""

import pytest
from django.test import RequestFactory
from django.utils import translation
from wagtail.models import Page

from samizdat.news import routing
from samizdat.news.models import ArticlePage, StandardPage

PATHS = ["", "news/", "news/page/2/", "news/page/999/", "news/river-port-strike-enters-third-week/",
         "news/no-such-story/", "tags/labour/", "tags/labour/page/2/", "authors/anna-weiss/",
         "search/", "news/river-port-strike-enters-third-week/extra/", "no-such-section/"]


def outcome(result):
    if result is None:
        return None
    page, args, kwargs = result
    view = args[0].__name__ if args and callable(args[0]) else None
    return (page.pk, type(page).__name__, view, repr(args[1:]), kwargs)


def both(path, language="en"):
    with translation.override(language):
        ours = routing.route(RequestFactory().get("/" + path), path)
        theirs = Page.route_for_request(RequestFactory().get("/" + path), path)
    return ours, theirs


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ru"])
def test_routes_match_wagtails(demo_site, language):
    about = StandardPage.objects.filter(locale__language_code=language).first()
    paths = PATHS + ([about.url_path.split("/", 2)[2]] if about else [])
    for path in paths:
        ours, theirs = both(path, language)
        if ours is routing.UNKNOWN:  # left to Wagtail: nothing to compare
            continue
        assert outcome(ours) == outcome(theirs), path


@pytest.mark.django_db
def test_an_unpublished_article_is_a_404_and_a_draft_never_served(client, demo_site):
    path = "news/river-port-strike-enters-third-week/"
    ArticlePage.objects.get(slug="river-port-strike-enters-third-week",
                            locale__language_code="en").unpublish()
    ours, theirs = both(path)
    assert ours is None and theirs is None
    assert client.get("/" + path).status_code == 404


@pytest.mark.django_db
def test_an_article_is_routed_in_one_query(demo_site, django_assert_max_num_queries):
    path = "news/river-port-strike-enters-third-week/"
    both(path)  # the loader is warm
    with translation.override("en"), django_assert_max_num_queries(1):
        ours = routing.route(RequestFactory().get("/" + path), path)
    assert ours.page.slug == "river-port-strike-enters-third-week"
