"""The queries that pick articles: lists, 'Read more' and search results.

They live on ArticlePage's manager (`ArticlePage.objects.with_listing_relations()`,
`.related_to(article)`), as Wagtail's bakerydemo keeps queries with their models;
this module imports no model, so models.py can import it.

Every list is fetched with its images and bylines in a fixed number of
queries, whatever the size of the archive.
"""

from django.db.models import Prefetch
from wagtail.models import PageManager, PageQuerySet

# 'Read more': editor picks first (in the editor's order), then live articles
# sharing a tag or the section, newest first, then the newest of the language if
# that is still fewer than MIN_RELATED; always in the article's language and
# never the article itself.
MIN_RELATED = 3
MAX_RELATED = 6


def _newest(queryset, exclude, limit):
    """[(first_published_at, pk)] of the newest `limit` rows, `exclude` left out."""
    if limit <= 0:
        return []
    rows = (
        queryset.exclude(pk__in=exclude)
        .order_by("-first_published_at", "-pk")
        .values_list("first_published_at", "pk")
        .distinct()
    )
    return list(rows[:limit])


class ArticlePageQuerySet(PageQuerySet):
    def newest_first(self):
        return self.order_by("-first_published_at", "-pk")

    def with_listing_relations(self):
        """Lead images, their renditions and bylines, fetched with the articles."""
        bylines = self.model._meta.get_field("article_authors").related_model
        return self.select_related("lead_image").prefetch_related(
            Prefetch("article_authors", queryset=bylines.objects.select_related("author")),
            "lead_image__renditions",
        )

    def cards(self, ids):
        """The articles with these ids, in that order, ready for a list."""
        by_id = {a.pk: a for a in self.filter(pk__in=ids).with_listing_relations()}
        return [by_id[pk] for pk in ids if pk in by_id]

    def related_ids(self, article, limit=MAX_RELATED):
        """Ids first, cards after: a fixed number of queries for any archive."""
        candidates = (
            self.live().public().filter(locale_id=article.locale_id).exclude(pk=article.pk)
        )
        # .all() works for a saved article and for an unsaved preview alike.
        wanted_picks = [link.article_id for link in article.related_links.all()
                        if link.article_id]
        live_picks = set(candidates.filter(pk__in=wanted_picks).values_list("pk", flat=True))
        ids = list(dict.fromkeys(pk for pk in wanted_picks if pk in live_picks))[:limit]

        # Two small sorted look-ups (same tag; same section) merged by date: much
        # cheaper than one OR across the tag join on a large archive.
        wanted = limit - len(ids)
        tag_ids = [tag.pk for tag in article.tags.all() if tag.pk]
        rows = []
        if tag_ids:
            rows += _newest(candidates.filter(tagged_items__tag_id__in=tag_ids), ids, wanted)
        if article.path:
            siblings = candidates.filter(path__startswith=article.path[: -article.steplen],
                                         depth=article.depth)
            rows += _newest(siblings, ids, wanted)
        rows.sort(key=lambda row: (row[0] is not None, row[0], row[1]), reverse=True)
        ids += list(dict.fromkeys(pk for _when, pk in rows))[:wanted]
        ids += [pk for _when, pk in _newest(candidates, ids, MIN_RELATED - len(ids))]
        return ids

    def related_to(self, article, limit=MAX_RELATED):
        """What to offer after `article` ('Read more'), as cards."""
        ids = self.related_ids(article, limit)
        return self.cards(ids) if ids else []


ArticlePageManager = PageManager.from_queryset(ArticlePageQuerySet)
