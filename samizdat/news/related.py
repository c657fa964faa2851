"""'Read more': what to offer after an article.

Editor picks come first (in the editor's order), then live articles sharing a
tag or the section, newest first, then the newest of the language if that is
still fewer than MIN_RELATED; always in the article's language and never the
article itself. A fixed number of queries whatever the size of the archive:
ids are chosen first, then every card is fetched with its image and bylines
in one go.
"""


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


def related_article_ids(article, limit=MAX_RELATED):
    from .models import ArticlePage

    candidates = (
        ArticlePage.objects.live().public().filter(locale_id=article.locale_id)
        .exclude(pk=article.pk)
    )
    # .all() works for a saved article and for an unsaved preview alike.
    wanted_picks = [link.article_id for link in article.related_links.all() if link.article_id]
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


def related_articles(article, limit=MAX_RELATED):
    from .listing import with_listing_relations
    from .models import ArticlePage

    ids = related_article_ids(article, limit)
    if not ids:
        return []
    by_id = {a.pk: a for a in with_listing_relations(ArticlePage.objects.filter(pk__in=ids))}
    return [by_id[pk] for pk in ids if pk in by_id]
