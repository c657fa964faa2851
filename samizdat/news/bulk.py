"""Articles fetched once for many pages (the static export's workers).

"Read more" under an article (`ArticlePageQuerySet.related_ids`) asks the
database four times per article: which editor's picks are live, the newest
articles sharing a tag, the newest in the section, the newest of the language.
While `articles_fetched_once()` is active (news's `SiteUrls.bulk_render`, inside
each export worker), it reads the same answer from one list of live, public
articles with their tags and editor's picks, fetched on first use. The export
renders a snapshot: nothing is published while a worker renders. The
language switch and hreflang links read each article's translations from one
query too (`translations`).

The order is the live query's: newest first by `first_published_at`, then the
higher pk. The database puts a missing date first (PostgreSQL) or last (SQLite)
when sorting newest first; if any candidate has none, the store steps aside
and the live query answers (`related_ids` returns None).
"""

from collections import defaultdict

from django.apps import apps
from django.db.models import Count

from samizdat.core.bulk import Stores


class _Store:
    def __init__(self):
        self.loaded = False
        self.by_key = None
        self.memos = {}

    def translations(self, article):
        """{language code: live page} for the article and its translations, as
        translations.translations asks the database once per article: from one query for
        every article, each other page a copy of its own for the request (an article
        without translations is its only page: itself)."""
        if article.pk is None:
            return None
        if self.by_key is None:
            self._load_translations()
        rows = self.by_key.get(article.translation_key)
        if rows is None:
            # No other page shares its key: the article alone, if it is live (the export
            # renders a snapshot, so the article is its row). Itself, as the live query
            # would give an article (whose URL is kept per process: cards.KeptUrlParts).
            if not article.live:
                return {}
            locale = self.locales[article.locale_id]
            article._state.fields_cache.setdefault("locale", locale)  # as select_related
            return {locale.language_code: article}
        Page = apps.get_model("wagtailcore", "Page")  # noqa: N806
        found = {}
        for row in rows:
            # A page of its own for each request, as the query would make it.
            page = Page.from_db(self.db, self.page_fields, row)
            locale = self.locales[page.locale_id]
            page._state.fields_cache["locale"] = locale
            found[locale.language_code] = page
        return found

    def memo(self, table, key, build):
        """build() once for key while the store is active (the export renders a
        snapshot: nothing is published meanwhile)."""
        found = self.memos.setdefault(table, {})
        if key not in found:
            found[key] = build()
        return found[key]

    def warm(self):
        """Fetch now (before the export forks its workers, which then share it)."""
        if not self.loaded:
            self.load()
        if self.by_key is None:
            self._load_translations()

    def _load_translations(self):
        """Each live page of an article that has a translation (live or not), as a tuple
        of its field values (a model instance per page held for the whole export weighs
        several times more). An article that has none is its own row (at 10,000 articles
        in one language, the rows of all took 13 MB)."""
        Page = apps.get_model("wagtailcore", "Page")  # noqa: N806
        Locale = apps.get_model("wagtailcore", "Locale")  # noqa: N806
        ArticlePage = apps.get_model("news", "ArticlePage")  # noqa: N806
        keys = ArticlePage.objects.values("translation_key")
        shared = (Page.objects.filter(translation_key__in=keys)
                  .order_by().values("translation_key").annotate(pages=Count("pk"))
                  .filter(pages__gt=1).values("translation_key"))
        pages = Page.objects.live().filter(translation_key__in=shared)
        self.db = pages.db
        self.page_fields = [f.attname for f in Page._meta.concrete_fields]
        key_at = self.page_fields.index("translation_key")
        self.locales = {locale.pk: locale for locale in Locale.objects.all()}
        self.by_key = defaultdict(list)
        for row in pages.values_list(*self.page_fields).iterator(chunk_size=2000):
            self.by_key[row[key_at]].append(row)

    def load(self):
        # By name: models imports querysets, which imports this module.
        ArticlePage = apps.get_model("news", "ArticlePage")  # noqa: N806
        ArticleTag = apps.get_model("news", "ArticleTag")  # noqa: N806
        ArticleRelatedLink = apps.get_model("news", "ArticleRelatedLink")  # noqa: N806
        rows = list(ArticlePage.objects.live().public().values_list(
            "pk", "locale_id", "path", "depth", "first_published_at"))
        self.undated = any(when is None for *_rest, when in rows)
        self.by_locale = defaultdict(list)
        for pk, locale_id, path, depth, when in rows:
            self.by_locale[locale_id].append((when, pk, path, depth))
        for articles in self.by_locale.values():
            # Newest first, then the higher pk: the live query's order.
            if not self.undated:
                articles.sort(key=lambda row: (row[0], row[1]), reverse=True)
        self.live_by_locale = {locale_id: frozenset(row[1] for row in articles)
                               for locale_id, articles in self.by_locale.items()}
        tags = defaultdict(list)
        for page_id, tag_id in ArticleTag.objects.values_list("content_object_id", "tag_id"):
            tags[page_id].append(tag_id)
        # Tuples: a set of two or three ids weighs four times as much (1.8 MB at 10,000).
        self.tags = {page_id: tuple(ids) for page_id, ids in tags.items()}
        self.picks = defaultdict(list)
        for page_id, article_id in (ArticleRelatedLink.objects.order_by("sort_order", "pk")
                                    .values_list("page_id", "article_id")):
            self.picks[page_id].append(article_id)
        self.loaded = True

    def related_ids(self, article, limit, min_related):
        """The ids `ArticlePageQuerySet.related_ids` would return; None to ask the
        database instead (an unsaved preview, or an undated candidate)."""
        if article.pk is None:
            return None
        if not self.loaded:
            self.load()
        if self.undated:
            return None
        # The article's language, itself left out as each loop goes (not by copying a
        # list of every article for each one: that is quadratic in the archive).
        own = article.pk
        candidates = self.by_locale.get(article.locale_id, ())
        live = self.live_by_locale.get(article.locale_id, frozenset())
        wanted_picks = [pk for pk in self.picks.get(own, ()) if pk]
        ids = list(dict.fromkeys(pk for pk in wanted_picks if pk in live and pk != own))[:limit]

        wanted = limit - len(ids)
        tag_ids = {tag.pk for tag in article.tags.all() if tag.pk}
        parent = article.path[: -article.steplen] if article.path else None
        taken = set(ids)
        if wanted > 0:
            for _when, pk, path, depth in candidates:
                if len(ids) - (limit - wanted) >= wanted:
                    break
                if pk in taken or pk == own:
                    continue
                if (tag_ids and not tag_ids.isdisjoint(self.tags.get(pk, ()))) or (
                        parent is not None and depth == article.depth
                        and path.startswith(parent)):
                    ids.append(pk)
                    taken.add(pk)
        for _when, pk, _path, _depth in candidates:
            if len(ids) >= min_related:
                break
            if pk not in taken and pk != own:
                ids.append(pk)
                taken.add(pk)
        return ids


_stores = Stores(_Store)
active = _stores.active
articles_fetched_once = _stores.fetched_once
