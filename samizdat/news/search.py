"""Site search over live articles of one language, with Wagtail's database backend."""

import re

from django.core.paginator import Paginator

MAX_QUERY_LENGTH = 200
RESULTS_PER_PAGE = 20


def clean_query(raw):
    """Trim a reader's query to something the search backend handles safely."""
    # Quotes, operators and other punctuation mean syntax to SQLite FTS5 and
    # PostgreSQL tsquery; readers mean words, so only words are kept.
    words = re.sub(r"[^\w\s]", " ", (raw or "")[: MAX_QUERY_LENGTH * 4]).split()
    return " ".join(words)[:MAX_QUERY_LENGTH].strip()


def search_articles(home, raw_query, request):
    """A page of results; an empty query gives an empty page, never an error."""
    from .listing import with_listing_relations
    from .models import ArticlePage

    query = clean_query(raw_query)
    if not query:
        return None
    queryset = ArticlePage.objects.live().public().descendant_of(home)
    results = queryset.search(query, operator="and")
    paginator = Paginator(results, RESULTS_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    ids = [article.pk for article in page_obj.object_list]
    by_id = {a.pk: a for a in with_listing_relations(ArticlePage.objects.filter(pk__in=ids))}
    page_obj.object_list = [by_id[pk] for pk in ids if pk in by_id]
    return page_obj
