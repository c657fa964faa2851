"""'Read more': what to offer after an article.

Editor picks come first, then articles sharing a tag or the section, newest
first, always in the article's language and never the article itself.
"""

from django.db.models import Q

MIN_RELATED = 3
MAX_RELATED = 6


def related_articles(article, limit=MAX_RELATED):
    from .listing import with_listing_relations
    from .models import ArticlePage

    live_same_language = ArticlePage.objects.live().public().filter(locale_id=article.locale_id)
    picks = [
        link.article
        for link in article.related_links.select_related("article", "article__lead_image")
        if link.article.live and link.article.locale_id == article.locale_id
        and link.article.pk != article.pk
    ][:limit]
    seen = {article.pk, *(p.pk for p in picks)}
    wanted = limit - len(picks)
    found = []
    if wanted > 0:
        tag_ids = [tag.pk for tag in article.tags.all()]
        parent_path = article.path[: -article.steplen]
        matching = live_same_language.filter(
            Q(tagged_items__tag_id__in=tag_ids) | Q(path__startswith=parent_path, depth=article.depth)
        ).exclude(pk__in=seen)
        ids = list(
            matching.order_by("-first_published_at", "-pk")
            .values_list("pk", flat=True)
            .distinct()[: wanted * 3]
        )
        ids = list(dict.fromkeys(ids))[:wanted]
        if len(picks) + len(ids) < MIN_RELATED:
            more = (
                live_same_language.exclude(pk__in=seen | set(ids))
                .order_by("-first_published_at", "-pk")
                .values_list("pk", flat=True)[: MIN_RELATED - len(picks) - len(ids)]
            )
            ids += list(more)
        by_id = {a.pk: a for a in with_listing_relations(ArticlePage.objects.filter(pk__in=ids))}
        found = [by_id[pk] for pk in ids if pk in by_id]
    return picks + found
