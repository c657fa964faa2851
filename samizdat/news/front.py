"""What the front page shows: the lead, the editor's top stories, the latest list and a
block per section, read in a fixed number of queries however many sections there are.

Like the Guardian's, Meduza's and The Moscow Times' fronts: one lead with its picture,
editor-picked stories beside it, a dense list of the newest headlines with their times,
then the sections. There is no "most read": nothing here keeps a reading log.
"""

from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.apps import apps
from django.db import connections
from django.db.models import Q

# At most this many editor-picked top stories; the latest list's length; the articles
# of each section block (the first with its picture, the others as headlines).
TOP_STORIES = 6
LATEST = 10
PER_SECTION = 4


@dataclass
class Front:
    lead: object = None
    top: list = field(default_factory=list)
    latest: list = field(default_factory=list)
    sections: list = field(default_factory=list)  # [(section, [articles])]


def _section_ids(articles, sections, wanted):
    """{section path: [article ids, newest first]}: `wanted` per section, in one query.

    One bounded look-up per section (newest first, LIMIT `wanted`: read from the
    publication date index, see migration 0011), all in one query (UNION ALL, or
    subqueries where the database has no LIMIT inside a UNION): the time stays flat
    however many articles each section holds.
    """
    # On the page table alone: ordered by its own (first_published_at, id), which the
    # index gives in order; through the article table the tie-break would be the
    # article's key and the database would sort every article of the section. A
    # section's children are articles (SectionPage.subpage_types): no content type
    # filter, which SQLite would rather read through its own index, every article.
    Page = apps.get_model("wagtailcore", "Page")
    public = ~articles.private_q()
    newest = [
        Page.objects.filter(public, path__startswith=section.path, depth=section.depth + 1,
                            live=True).order_by("-first_published_at", "-id")
        for section in sections
    ]
    if not newest:
        return {}
    columns = ("path", "first_published_at", "pk")
    if connections[articles.db].features.supports_slicing_ordering_in_compound:  # PostgreSQL
        parts = [part.values_list(*columns)[:wanted] for part in newest]
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    else:
        # SQLite: no LIMIT inside UNION; each look-up as a subquery, the rows by key.
        rows = Page.objects.filter(reduce(or_, [
            Q(pk__in=part.values("pk")[:wanted]) for part in newest
        ])).order_by().values_list(*columns)
    found = {}
    newest_first = sorted(rows, key=lambda row: (row[1] is not None, row[1], row[2]),
                          reverse=True)
    for path, _published, pk in newest_first:
        found.setdefault(path[: -articles.model.steplen], []).append(pk)
    return found


def front_page(home, sections):
    """The front of `home`; `sections` are its live sections in tree order (loader.py)."""
    ArticlePage = apps.get_model("news", "ArticlePage")
    TopStory = apps.get_model("news", "HomePageTopStory")
    articles = ArticlePage.objects.live().public().descendant_of(home)

    latest = list(articles.newest_first().defer_streamfields()[:LATEST])
    by_path = {section.path: section for section in sections}
    for article in latest:
        article.front_section = by_path.get(article.path[: -article.steplen])

    picks = list(
        TopStory.objects.filter(page=home)
        .order_by("sort_order")
        .values_list("article_id", flat=True)
    )
    wanted_lead = [home.lead_story_id] if home.lead_story_id else []
    shown = set(wanted_lead + picks)
    per_section = _section_ids(articles, list(sections), PER_SECTION + len(shown) + 1)

    ids = wanted_lead + picks + [pk for pks in per_section.values() for pk in pks]
    if latest:
        ids.append(latest[0].pk)
    cards = {card.pk: card for card in articles.cards(list(dict.fromkeys(ids)))}

    lead = cards.get(home.lead_story_id) or (cards.get(latest[0].pk) if latest else None)
    taken = {lead.pk} if lead else set()
    top = []
    for pk in picks:
        if pk in cards and pk not in taken and len(top) < TOP_STORIES:
            top.append(cards[pk])
            taken.add(pk)
    blocks = []
    for section in sections:
        rest = [
            cards[pk] for pk in per_section.get(section.path, []) if pk in cards and pk not in taken
        ][:PER_SECTION]
        if rest:
            blocks.append((section, rest))
    return Front(lead=lead, top=top, latest=latest, sections=blocks)
