"""The queries that pick articles: lists, 'Read more' and search results.

They live on ArticlePage's manager (`ArticlePage.objects.with_listing_relations()`,
`.related_to(article)`), as Wagtail's bakerydemo keeps queries with their models;
this module imports no model, so models.py can import it.

Every list is fetched with its images and bylines in a fixed number of
queries, whatever the size of the archive.
"""

from django.db.models import Prefetch, prefetch_related_objects
from wagtail.models import PageManager, PageQuerySet

# 'Read more': editor picks first (in the editor's order), then live articles
# sharing a tag or the section, newest first, then the newest of the language if
# that is still fewer than MIN_RELATED; always in the article's language and
# never the article itself.
MIN_RELATED = 3
MAX_RELATED = 6


def _renditions():
    """The lead images' renditions are not fetched with a list: the pages show them
    through {% picture %} (images/templatetags/samizdat_images.py), whose markup is
    kept per process, so a list's images are looked up only on the first render after
    a change (and an export worker holds them all already: images/bulk.py)."""
    return ()


def _newest(queryset, exclude, limit):
    """[(first_published_at, pk)] of the newest `limit` rows, `exclude` left out."""
    if limit <= 0:
        return []
    return list(_newest_query(queryset, exclude, limit))


def _newest_query(queryset, exclude, limit):
    return (
        queryset.exclude(pk__in=exclude)
        .order_by("-first_published_at", "-pk")
        .values_list("first_published_at", "pk")
        .distinct()
    )[:limit]


def _rows(request, shape, kinds, build, values):
    """list(build(*values)); with a request, from SQL compiled once per shape
    (prepared.py)."""
    if request is None:
        return list(build(*values))
    from .prepared import rows

    return rows(request, shape, kinds, build, values)


def _pick_ids(article, request):
    """The editor's picks' ids, in the editor's order."""
    if (request is None or article.pk is None
            or "related_links" in getattr(article, "_cluster_related_objects", {})
            or "related_links" in getattr(article, "_prefetched_objects_cache", {})):
        # .all() works for a saved article and for an unsaved preview alike.
        return [link.article_id for link in article.related_links.all()]
    links = type(article)._meta.get_field("related_links").related_model
    return _rows(request, ("related_pick_ids",), "i",
                 lambda pk: links.objects.filter(page_id=pk).values_list("article_id", flat=True),
                 [article.pk])


class ArticlePageQuerySet(PageQuerySet):
    def private_q(self):
        """Wagtail's, from the private subtrees the loader holds (no query per list)."""
        from django.db.models import Q

        from .loader import restrictions

        q = Q()
        for path, _restriction in restrictions()[0]:
            q |= Q(path__startswith=path)
        return q if q else Q(pk__in=[])

    def newest_first(self):
        """Newest first, ties by page id: both columns of the page table, whose
        (first_published_at, id) index (news migration 0011) gives a page of a list
        without sorting the whole archive. ("-pk" would be the article table's key:
        the same number, but the database would not know the index gives its order.)"""
        from django.db.models.expressions import Col
        from wagtail.models import Page

        page_id = Col(Page._meta.db_table, Page._meta.pk)
        return self.order_by("-first_published_at", page_id.desc())

    def _bylines(self):
        """ArticleAuthor, by the relation's name (this module imports no model)."""
        return self.model._meta.get_field("article_authors").related_model

    def by_author(self, author):
        """The author's articles, each once: a semi-join, not a join with DISTINCT, which
        sorted every one of the author's articles (about 2,000 at 10,000 generated
        articles) before a page of twelve or a feed of twenty could be taken."""
        bylines = self._bylines()
        return self.filter(pk__in=bylines.objects.filter(author=author).values("page_id"))

    def languages(self):
        """The language codes these articles are written in: one EXISTS per language,
        each ending at its first article, instead of DISTINCT over every matching row."""
        from django.db.models import Exists, OuterRef
        from wagtail.models import Locale

        return set(Locale.objects.filter(Exists(self.filter(locale=OuterRef("pk"))))
                   .values_list("language_code", flat=True))

    def with_listing_relations(self):
        """Lead images and bylines, fetched with the articles (not their bodies: a
        card shows none)."""
        bylines = self._bylines()
        return self.defer_streamfields().select_related("lead_image").prefetch_related(
            Prefetch("article_authors", queryset=bylines.objects.select_related("author")),
            *_renditions(),
        )

    def cards(self, ids, also=()):
        """The articles with these ids, in that order, ready for a list (without
        their bodies).

        The bylines of the articles in `also` come in the same query as theirs.
        """
        bylines = self._bylines()
        found = list(self.filter(pk__in=ids).defer_streamfields().select_related("lead_image")
                     .prefetch_related(*_renditions()))
        prefetch_related_objects([*found, *also], Prefetch(
            "article_authors", queryset=bylines.objects.select_related("author")))
        by_id = {a.pk: a for a in found}
        return [by_id[pk] for pk in ids if pk in by_id]

    def related_ids(self, article, limit=MAX_RELATED, request=None):
        """Ids first, cards after: a fixed number of queries for any archive (none
        while an export worker holds the articles already: news/bulk.py).

        With the reader's request the queries are compiled once per process
        (prepared.py): the same SQL, the same answer.
        """
        from . import bulk

        store = bulk.active()
        found = store.related_ids(article, limit, MIN_RELATED) if store is not None else None
        if found is not None:
            return found
        if article.pk is None or self.query.where.children:
            request = None  # a preview's exclude(pk=None), or a filtered queryset

        def candidates(locale_id, pk):
            return self.live().public().filter(locale_id=locale_id).exclude(pk=pk)

        wanted_picks = [pk for pk in _pick_ids(article, request) if pk]
        live_picks = set()
        if wanted_picks:
            live_picks = set(_rows(
                request, ("related_picks",), "ii" + "i" * len(wanted_picks),
                lambda locale_id, pk, *picks: candidates(locale_id, pk)
                .filter(pk__in=picks).values_list("pk", flat=True),
                [article.locale_id, article.pk, *wanted_picks]))
        ids = list(dict.fromkeys(pk for pk in wanted_picks if pk in live_picks))[:limit]

        # Two small sorted look-ups (same tag; same section) merged by date: much
        # cheaper than one OR across the tag join on a large archive.
        wanted = limit - len(ids)
        tag_ids = [tag.pk for tag in article.tags.all() if tag.pk]
        rows = []
        skip = "i" * len(ids)
        if tag_ids and wanted > 0:
            rows += _rows(
                request, ("related_tags", wanted), "ii" + skip + "i" * len(tag_ids),
                lambda locale_id, pk, *rest: _newest_query(
                    candidates(locale_id, pk).filter(tagged_items__tag_id__in=rest[len(ids):]),
                    rest[:len(ids)], wanted),
                [article.locale_id, article.pk, *ids, *tag_ids])
        if article.path and wanted > 0:
            rows += _rows(
                request, ("related_section", wanted), "i" + skip + "si",
                lambda pk, *rest: self._newest_siblings(rest[-2], rest[-1], [pk, *rest[:-2]],
                                                        wanted),
                [article.pk, *ids, article.path[: -article.steplen], article.depth])
        rows.sort(key=lambda row: (row[0] is not None, row[0], row[1]), reverse=True)
        ids += list(dict.fromkeys(pk for _when, pk in rows))[:wanted]
        more = MIN_RELATED - len(ids)
        if more > 0:
            ids += [pk for _when, pk in _rows(
                request, ("related_newest", more), "ii" + "i" * len(ids),
                lambda locale_id, pk, *skip: _newest_query(candidates(locale_id, pk), skip, more),
                [article.locale_id, article.pk, *ids])]
        return ids

    def _newest_siblings(self, parent_path, depth, exclude, limit):
        """(first_published_at, pk) of the newest `limit` live articles at `depth` under
        `parent_path` (an article's section), `exclude` left out.

        On the page table alone, ordered by its own (first_published_at, id): read from
        that index (news migration 0011) and stopped after `limit` rows, where through
        the article table the database read and sorted every article of the language.
        A section's children are all articles (SectionPage.subpage_types) in its language.
        """
        from wagtail.models import Page

        return (
            Page.objects.filter(~self.private_q(), live=True, depth=depth,
                                path__startswith=parent_path)
            .exclude(pk__in=exclude)
            .order_by("-first_published_at", "-id")
            .values_list("first_published_at", "pk")
        )[:limit]

    def related_to(self, article, limit=MAX_RELATED):
        """What to offer after `article` ('Read more'), as cards; the article's own
        bylines are fetched with theirs."""
        ids = self.related_ids(article, limit)
        return self.cards(ids, also=[article])


ArticlePageManager = PageManager.from_queryset(ArticlePageQuerySet)
