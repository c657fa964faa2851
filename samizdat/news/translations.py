"""An article's or a page's live translations, for the language switch and hreflang.

Kept apart from loader.py: it asks through prepared.py, which keeps its compiled
queries in the loader's tables (loader must not import it back).
"""

from django.apps import apps

from .loader import cached


def translations(request, page):
    """{language code: live page} for `page` and its translations.

    Homes and sections are site-wide (a change to them starts a new cache
    generation), so theirs are read once per process; an article's once per
    request, in one query, for the language switch and the <head> alike.
    """
    Page = apps.get_model("wagtailcore", "Page")
    ArticlePage = apps.get_model("news", "ArticlePage")
    memo = getattr(request, "_samizdat_translations", None) if request is not None else None
    if memo is not None and page.pk in memo:
        return memo[page.pk]

    def query(key, model=Page):
        from .prepared import rows

        return {p.locale.language_code: p for p in rows(
            request, ("translations", model._meta.label), "u",
            lambda key: model.objects.live().filter(translation_key=key).select_related("locale"),
            [key])}

    if isinstance(page, ArticlePage):
        from . import bulk  # an export worker's articles, fetched once (news/bulk.py)

        store = bulk.active()
        found = store.translations(page) if store is not None else None
        if found is None:
            # As articles (translations of an article are articles, and the same
            # rows): their URLs are kept per process (cards.KeptUrlParts).
            found = query(page.translation_key, ArticlePage)
    else:
        found = cached(request, ("translations", page.translation_key),
                       lambda: query(page.translation_key))
    if request is not None:
        if memo is None:
            memo = request._samizdat_translations = {}
        memo[page.pk] = found
    return found
