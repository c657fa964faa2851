"""Lists of articles for home, section, author and tag pages.

Every list is fetched with its images and bylines in a fixed number of
queries, whatever the size of the archive.
"""

from django.core.paginator import InvalidPage, Paginator
from django.db.models import Prefetch
from django.http import Http404

ARTICLES_PER_PAGE = 20
HOME_ARTICLES_PER_SECTION = 4


def with_listing_relations(queryset):
    from .models import ArticleAuthor

    return queryset.select_related("lead_image").prefetch_related(
        Prefetch("article_authors", queryset=ArticleAuthor.objects.select_related("author")),
        "lead_image__renditions",
    )


def page_or_404(queryset, number, per_page=ARTICLES_PER_PAGE):
    """A page of articles; page 1 of an empty list is an empty page, others 404."""
    paginator = Paginator(queryset, per_page, allow_empty_first_page=True)
    try:
        page_obj = paginator.page(number)
    except InvalidPage as exc:
        raise Http404 from exc
    if number > 1 and not page_obj.object_list:
        raise Http404
    page_obj.object_list = list(with_listing_relations(page_obj.object_list))
    return page_obj


def home_sections(home, exclude=None):
    """[(section, [latest articles]), …] for the live sections under `home`."""
    from .models import ArticlePage, SectionPage

    sections = list(SectionPage.objects.live().public().child_of(home))
    rows = []
    for section in sections:
        articles = ArticlePage.objects.live().public().child_of(section)
        if exclude is not None:
            articles = articles.exclude(pk=exclude.pk)
        articles = with_listing_relations(
            articles.order_by("-first_published_at", "-pk")[:HOME_ARTICLES_PER_SECTION]
        )
        rows.append((section, list(articles)))
    return rows
