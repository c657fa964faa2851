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


def search_articles(articles, raw_query, page_number):
    """A page of results among `articles` (ArticlePage's queryset); an empty query
    gives an empty page, never an error."""
    query = clean_query(raw_query)
    if not query:
        return None
    results = articles.search(query, operator="and")
    page_obj = Paginator(results, RESULTS_PER_PAGE).get_page(page_number)
    page_obj.object_list = articles.model.objects.cards(
        [article.pk for article in page_obj.object_list])
    return page_obj
