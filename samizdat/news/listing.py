"""Pages of article lists for home, section, author and tag pages."""

from django.core.paginator import InvalidPage, Paginator
from django.http import Http404

ARTICLES_PER_PAGE = 20
HOME_ARTICLES_PER_SECTION = 4


def page_or_404(queryset, number, per_page=ARTICLES_PER_PAGE):
    """A page of articles; page 1 of an empty list is an empty page, others 404.

    `queryset` is ArticlePage's (querysets.py): the page's articles come with
    their images and bylines.
    """
    paginator = Paginator(queryset, per_page, allow_empty_first_page=True)
    try:
        page_obj = paginator.page(number)
    except InvalidPage as exc:
        raise Http404 from exc
    if number > 1 and not page_obj.object_list:
        raise Http404
    page_obj.object_list = list(page_obj.object_list.with_listing_relations())
    return page_obj
