"""What the export's bulk store (news/bulk.py) answers is the live queries' answer:
'Read more' id for id and in the same order (ties in the publication date included),
and each article's translations."""

import datetime
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from samizdat.news.bulk import articles_fetched_once
from samizdat.news.demo import extra_articles
from samizdat.news.models import ArticlePage, ArticleRelatedLink


def live_and_bulk(articles):
    live = {a.pk: ArticlePage.objects.related_ids(a) for a in articles}
    with articles_fetched_once():
        bulk = {a.pk: ArticlePage.objects.related_ids(a) for a in articles}
    return live, bulk


def fresh(queryset):
    return list(queryset.prefetch_related("tags").order_by("pk"))


@pytest.mark.django_db
def test_bulk_related_ids_equal_the_live_query_with_ties(demo_site):
    extra_articles(30)
    articles = list(ArticlePage.objects.order_by("pk"))
    # Ties: a third of the articles share one publication time, so the pk decides.
    same = datetime.datetime(2026, 1, 5, 12, 0, tzinfo=datetime.UTC)
    ArticlePage.objects.filter(pk__in=[a.pk for a in articles[::3]]).update(
        first_published_at=same)
    # Editor's picks, one of them not live, one private, one twice.
    first, second, draft, private = articles[0], articles[1], articles[4], articles[7]
    ArticlePage.objects.filter(pk=draft.pk).update(live=False)
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    for order, pick in enumerate([draft, second, private, second, articles[10]]):
        ArticleRelatedLink.objects.create(page=first, article=pick, sort_order=order)

    live, bulk = live_and_bulk(fresh(ArticlePage.objects.all()))
    assert live == bulk
    assert live[first.pk][0] == second.pk  # the picks came first, the draft left out
    assert any(len(ids) >= 3 for ids in live.values())


@pytest.mark.django_db
def test_bulk_related_ids_ask_no_query(demo_site):
    articles = fresh(ArticlePage.objects.live())
    with articles_fetched_once():
        ArticlePage.objects.related_ids(articles[0])  # the store is filled here
        with CaptureQueriesContext(connection) as ctx:
            for article in articles:
                ArticlePage.objects.related_ids(article)
    assert len(ctx.captured_queries) == 0


@pytest.mark.django_db
def test_an_undated_candidate_leaves_it_to_the_database(demo_site):
    # The databases disagree where a missing date sorts: the live query answers then.
    articles = fresh(ArticlePage.objects.live())
    ArticlePage.objects.filter(pk=articles[-1].pk).update(first_published_at=None)
    live, bulk = live_and_bulk(articles[:3])
    assert live == bulk


@pytest.mark.django_db
def test_bulk_translations_equal_the_live_query(demo_site):
    from samizdat.news import translations

    articles = list(ArticlePage.objects.order_by("pk"))
    ArticlePage.objects.filter(pk=articles[1].pk).update(live=False)  # a draft translation
    keys = Counter(ArticlePage.objects.values_list("translation_key", flat=True))
    alone = [a for a in articles if keys[a.translation_key] == 1]
    ArticlePage.objects.filter(pk=alone[-1].pk).update(live=False)  # a draft, untranslated
    articles = list(ArticlePage.objects.order_by("pk"))  # as the export reads them

    def pages(found):
        return {code: (page.pk, page.url_path, page.locale.language_code)
                for code, page in found.items()}

    live = {a.pk: pages(translations.translations(None, a)) for a in articles}
    with articles_fetched_once():
        translations.translations(None, articles[0])  # the store is filled here
        with CaptureQueriesContext(connection) as ctx:
            bulk = {a.pk: pages(translations.translations(None, a)) for a in articles}
    assert live == bulk
    assert len(ctx.captured_queries) == 0
    assert any(len(found) == 2 for found in live.values())
    assert live[alone[0].pk] == {alone[0].locale.language_code: (
        alone[0].pk, alone[0].url_path, alone[0].locale.language_code)}
    assert live[alone[-1].pk] == {} and len(alone) > 2
