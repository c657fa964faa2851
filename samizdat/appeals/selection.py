"""Which appeals a page carries: the half of targeting that depends on the page only.

The server decides what is the same for every reader of a page (kill switch,
language, sections, tags, the article's "no appeals" switch, an ended
schedule) and renders every candidate into the HTML. The browser decides the
rest from its own state (caps, closed, snoozed, supporter, variant, exact
schedule): see static/appeals/appeals.js. Nothing here looks at the reader.
"""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .copy import render_line, render_text
from .models import Appeal, AppealSettings, Placement

BANNER_PAGE_TYPES = {"homepage", "sectionpage", "articlepage"}


@dataclass
class VariantCopy:
    key: str
    weight: int
    heading: str
    text: str
    button: str


@dataclass
class Candidate:
    appeal: Appeal
    variants: list
    position: int = 0
    default: bool = False

    @property
    def id(self):
        return self.appeal.pk

    def config(self):
        """What the script needs to choose: numbers and ids, no copy."""
        a = self.appeal
        return {
            "id": a.pk,
            "placement": a.placement,
            "version": a.version,
            "priority": a.priority,
            "start": int(a.start_at.timestamp() * 1000) if a.start_at else None,
            "end": int(a.end_at.timestamp() * 1000) if a.end_at else None,
            "maxViews": a.max_views,
            "perDays": a.per_days,
            "minDays": a.min_days_between,
            "remindDays": a.remind_days,
            "hideSupporters": a.hide_from_supporters,
            "variants": [[v.key, v.weight] for v in self.variants],
        }


@dataclass
class PageAppeals:
    banner: list = field(default_factory=list)
    inline: dict = field(default_factory=dict)
    letter: list = field(default_factory=list)
    debug: list = field(default_factory=list)
    preview: dict | None = None
    settings: AppealSettings | None = None
    language: str = "en"
    is_article: bool = False
    values: dict = field(default_factory=dict)

    @property
    def letter_key(self):
        """Everything appeals/partials/letter.html shows besides the contribution widget
        (kept per language and site): equal keys, equal markup, so the letter is
        rendered once per key ({% sitewide %})."""
        return (
            self.values.get("outlet"),
            bool(self.settings and self.settings.email_reminders),
            tuple((c.id, c.default, c.appeal.remind_days,
                   tuple((v.key, v.heading, v.text) for v in c.variants))
                  for c in self.letter),
        )

    @property
    def candidates(self):
        inline = [c for group in self.inline.values() for c in group]
        return self.banner + inline + self.letter

    def config(self, counter_url):
        s = self.settings
        data = {
            "counter": counter_url,
            "isArticle": self.is_article,
            "countArticles": bool(s and s.count_articles_read),
            "supporterDays": {
                "once": s.supporter_days_once if s else 90,
                "recurring": s.supporter_days_recurring if s else 365,
            },
            "appeals": [c.config() for c in self.candidates],
            "preview": self.preview,
            "debug": self.debug if self.preview else [],
        }
        return data


def page_facts(page):
    """(kind, article or None, section or None) for a Wagtail page."""
    if page is None:
        return None, None, None
    kind = page.specific_class._meta.model_name if hasattr(page, "specific_class") else ""
    if kind == "articlepage":
        return kind, page, page.get_parent().specific
    if kind == "sectionpage":
        return kind, None, page
    return kind, None, None


def page_reasons(appeal, language, kind, article, section, tag_ids, now):
    """Why this page may not carry the appeal; an empty list means it may."""
    reasons = []
    if appeal.end_at and appeal.end_at <= now:
        reasons.append(_("its schedule has ended"))
    if appeal.language and appeal.language != language:
        reasons.append(_("it is for another language"))
    if appeal.placement == Placement.BANNER and kind not in BANNER_PAGE_TYPES:
        reasons.append(_("banners show on the home, section and article pages only"))
    if appeal.placement != Placement.BANNER and article is None:
        reasons.append(_("this placement needs an article"))
    section_key = section.translation_key if section is not None else None
    include = {s.translation_key for s in appeal.include_sections.all()}
    if include and section_key not in include:
        reasons.append(_("this page is not in one of its sections"))
    exclude = {s.translation_key for s in appeal.exclude_sections.all()}
    if section_key is not None and section_key in exclude:
        reasons.append(_("this section is excluded"))
    excluded_tags = [t for t in appeal.exclude_tags.all() if t.pk in tag_ids]
    if excluded_tags:
        reasons.append(_("the article has an excluded tag: %(tag)s") % {
            "tag": ", ".join(t.name for t in excluded_tags)})
    if article is not None and article.no_appeals and not appeal.neutral:
        reasons.append(_("the article is marked “no fundraising appeals”"))
    return reasons


def variant_copies(appeal, language, values):
    copies = []
    for variant in appeal.variants.all():
        heading, text, button = variant.copy_for(language)
        if not (heading or text):
            continue
        copies.append(VariantCopy(
            key=variant.key,
            weight=variant.weight,
            heading=render_line(heading, values),
            text=render_text(text, values),
            button=render_line(button, values),
        ))
    return copies


def _variant_copies(appeal, language, values, forced):
    """variant_copies; in the static export, once per appeal for all its pages (they
    share the language, the outlet, the month and the funding figures, and no appeal
    changes meanwhile)."""
    from samizdat.news import bulk

    store = bulk.active()
    if store is None or forced or appeal.pk is None:
        return variant_copies(appeal, language, values)
    key = (appeal.pk, language, tuple(sorted(values.items())))
    try:
        hash(key)
    except TypeError:
        return variant_copies(appeal, language, values)
    return list(store.memo("appeal-copies", key,
                           lambda: variant_copies(appeal, language, values)))


def parse_preview(value):
    """"12:B" → (12, "B"); anything else → None."""
    appeal_id, _sep, key = (value or "").partition(":")
    if not appeal_id.isdigit():
        return None
    return int(appeal_id), key.strip().upper()[:1]


def appeals_for_page(request, page):
    """Every appeal this page may carry, built once per request."""
    cached = getattr(request, "_samizdat_appeals", None)
    if cached is not None:
        return cached
    from samizdat.news.loader import cached
    from samizdat.news.models import OutletSettings

    from .funding import funding_figures

    language = (get_language() or "en").split("-")[0]
    settings_obj = cached(request, "appeal-settings", AppealSettings.load)
    kind, article, section = page_facts(page)
    result = PageAppeals(settings=settings_obj, language=language, is_article=article is not None)
    request._samizdat_appeals = result

    preview = None
    if "appeal-preview" in request.GET:
        from samizdat.users.two_factor import passed_admin_sign_in

        user = getattr(request, "user", None)
        # The same session the admin demands: with its second factor when one is needed.
        if passed_admin_sign_in(user) and user.has_perm("wagtailadmin.access_admin"):
            preview = parse_preview(request.GET.get("appeal-preview"))
    if not settings_obj.appeals_enabled and preview is None:
        return result

    now = timezone.now()
    try:
        outlet = OutletSettings.for_request(request).name
    except Exception:  # noqa: BLE001 - no site (e.g. a test request): no outlet name
        outlet = ""
    values = {"outlet": outlet, "month": month_name(now, language),
              **funding_figures(language, request)}
    result.values = values
    tag_ids = {tag.pk for tag in article.tags.all()} if article is not None else set()

    appeals = list(cached(request, "live-appeals", lambda: list(
        Appeal.objects.filter(live=True)
        .prefetch_related("variants", "include_sections", "exclude_sections", "exclude_tags")
    )))
    if preview is not None:
        forced = Appeal.objects.filter(pk=preview[0]).first()
        if forced is not None:
            forced = forced.get_latest_revision_as_object()
            appeals = [a for a in appeals if a.pk != forced.pk] + [forced]
            result.preview = {"id": forced.pk, "variant": preview[1]}

    letter_seen = False
    for appeal in appeals:
        forced = result.preview is not None and appeal.pk == result.preview["id"]
        reasons = page_reasons(appeal, language, kind, article, section, tag_ids, now)
        if not settings_obj.appeals_enabled:
            reasons.insert(0, _("the kill switch is off"))
        copies = _variant_copies(appeal, language, values, forced)
        if not copies:
            reasons.append(_("it has no copy in this language"))
        if forced and copies:
            reasons = []
        result.debug.append({
            "id": appeal.pk, "name": appeal.name, "placement": appeal.placement,
            "page": reasons,
        })
        if reasons:
            continue
        candidate = Candidate(appeal=appeal, variants=copies)
        if appeal.placement == Placement.BANNER:
            result.banner.append(candidate)
        elif appeal.placement == Placement.INLINE:
            candidate.position = appeal.after_paragraph
            result.inline.setdefault(appeal.after_paragraph, []).append(candidate)
        else:
            candidate.default = not letter_seen
            letter_seen = True
            result.letter.append(candidate)
    if result.preview is not None:
        # The forced letter is the one shown without JavaScript too.
        for candidate in result.letter:
            candidate.default = candidate.id == result.preview["id"]
    return result


def month_name(now, language):
    from babel.dates import format_date

    return format_date(timezone.localtime(now).date(), "LLLL", locale=language)
