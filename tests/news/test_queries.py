"""Reader pages take a fixed number of SQL queries, however big the archive.

Each page is rendered twice before counting: the first render creates its
image renditions, the second fills the per-process loader (news/loader.py)
with the site-wide data every page shows; the page cache is off.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from samizdat.news.demo import extra_articles
from samizdat.news.models import ArticleAuthor, ArticlePage, Author

ARTICLE = "/news/river-port-strike-enters-third-week/"
PAGES = {"article": ARTICLE, "section": "/news/", "home": "/", "ru article": "/ru" + ARTICLE,
         "tag": "/tags/labour/", "author": "/authors/anna-weiss/"}
# At most 10 queries per page. Measured after routing from the loader
# (news/routing.py): article 10, section 4, tag 5, author 5.
BUDGET = 10
MAX_QUERIES = {"article": BUDGET, "section": BUDGET, "home": BUDGET, "ru article": BUDGET,
               "tag": BUDGET, "author": BUDGET}


def query_counts(client):
    counts = {}
    for name, url in PAGES.items():
        assert client.get(url).status_code == 200  # renditions made here
        assert client.get(url).status_code == 200  # site-wide data loaded here
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts[name] = len(ctx.captured_queries)
    return counts


@pytest.fixture
def uncached(settings):
    settings.SAMIZDAT_PAGE_CACHE = False


@pytest.mark.django_db
def test_pages_stay_under_a_query_ceiling(client, demo_site, uncached):
    counts = query_counts(client)
    for name, count in counts.items():
        assert count <= MAX_QUERIES[name], (name, count)


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_articles_tags_or_authors(client, demo_site, uncached):
    small = query_counts(client)

    extra_articles(40)  # more articles, tags and bylines in every section
    article = ArticlePage.objects.get(slug="river-port-strike-enters-third-week",
                                      locale__language_code="en")
    for n in range(50):  # 50 bylines and 200 tags on one story
        author = Author.objects.create(name=f"Guest {n}", slug=f"guest-{n}")
        ArticleAuthor.objects.create(page=article, author=author)
    article.tags.add(*(f"tag-{n}" for n in range(200)))
    article.save()
    large = query_counts(client)

    assert ArticlePage.objects.count() >= 80
    assert large == small
    page = client.get(ARTICLE).content.decode()
    assert "Guest 49" in page and "tag-199" in page  # all of them are shown
