"""Pages of article lists for home, section, author and tag pages."""

from django.core.paginator import InvalidPage, Paginator
from django.http import Http404
from django.utils.functional import cached_property

ARTICLES_PER_PAGE = 20
HOME_ARTICLES_PER_SECTION = 4


class ArticlePaginator(Paginator):
    """Counts the articles' keys only: a list made distinct (an author's) is otherwise
    counted as distinct whole rows, bodies included."""

    @cached_property
    def count(self):
        return self.object_list.order_by().values("pk").count()


def page_or_404(queryset, number, per_page=ARTICLES_PER_PAGE):
    """A page of articles; page 1 of an empty list is an empty page, others 404.

    `queryset` is ArticlePage's (querysets.py): the page's articles come with
    their images and bylines.
    """
    paginator = ArticlePaginator(queryset, per_page, allow_empty_first_page=True)
    try:
        page_obj = paginator.page(number)
    except InvalidPage as exc:
        raise Http404 from exc
    # (A list never needs DISTINCT: an author's articles are a semi-join, querysets.py.)
    page_obj.object_list = list(page_obj.object_list.with_listing_relations())
    if number > 1 and not page_obj.object_list:
        raise Http404
    return page_obj
