"""Site-wide data that every reader page shows, fetched once per process.

Navigation, the homes of each language, the outlet's settings, the appeals and
the contribution widget's options are the same on every page of a site. Pages
and template tags read them from here instead of querying for them.

Entries live per process under two tokens:
- the page cache's generation (cachetokens.current_generation), which site-wide
  changes (a home, section or standard page published, moved or deleted, a
  snippet or setting saved) replace in every process that shares the cache
  (signal_handlers.py). Publishing an article does not: nothing here depends
  on an article, so keep it that way (articles are read per request);
- a local epoch, bumped by any row saved or deleted in this process (but the
  rows in UNREAD, written all the time and never read here), so a change made
  here is never answered from a stale copy, even one no signal handler above
  treats as site-wide.
The tokens are read once per request (kept on the request).

Besides the site-wide data, `memo` keeps bounded tables of values derived from
site-wide data or from their own key alone, under the same tokens: page URLs by
url_path (cards.py), <picture> markup by image (images/templatetags/samizdat_images.py:
saving an image starts a new generation), card markup by everything a card shows, and
the reader queries' compiled SQL (prepared.py). Nothing about one article is kept
there except as part of a key, so publishing an article needs no new token.
"""

import copy
import itertools
import threading

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from .cachetokens import current_generation

_lock = threading.Lock()
_epoch = itertools.count()
_state = {"token": None, "data": {}}
_local = {"epoch": next(_epoch)}


# Rows written while serving readers, donors and workers that nothing here reads: saving
# them must not throw the process's copy away (an image rendition made on a first view,
# an appeal's daily counter, a payment, a session, a task or a heartbeat).
UNREAD = frozenset({
    "images.customrendition", "appeals.dailycount", "appeals.emailreminder",
    "news.workerheartbeat", "core.periodicjobrun", "security.proberun", "users.user",
    "support.supporter", "support.contribution", "support.pledge", "support.providerevent",
    "support.ledgerentry", "support.receiptdelivery", "support.reconciliationrun",
    "support.managelink", "newsletters.subscriber", "newsletters.subscription",
})
UNREAD_APPS = frozenset({"sessions", "django_tasks_db", "axes", "otp_totp", "otp_static",
                         "django_otp_webauthn", "wagtailsearch", "modelsearch"})


def _bump(sender=None, **kwargs):
    meta = getattr(sender, "_meta", None)
    if meta is not None and (meta.label_lower in UNREAD or meta.app_label in UNREAD_APPS):
        return
    _local["epoch"] = next(_epoch)


def connect():
    for signal in (post_save, post_delete, m2m_changed):
        signal.connect(_bump, dispatch_uid=f"samizdat-loader-{id(signal)}", weak=False)


def _token(request):
    generation = getattr(request, "_samizdat_generation", None) if request is not None else None
    if generation is None:
        generation = current_generation()
        if request is not None:
            request._samizdat_generation = generation
    return generation, _local["epoch"]


def cached(request, key, build):
    """The value of build() for key, built once per process and token."""
    token = _token(request)
    with _lock:
        if _state["token"] != token:
            _state["token"], _state["data"] = token, {}
        data = _state["data"]
        if key in data:
            return data[key]
    value = build()
    with _lock:
        if _state["token"] == token:
            data[key] = value
    return value


def memo(request, table, key, build, limit=5000):
    """build() for key in one of the process's bounded tables, kept under the same
    tokens as cached(): for values derived from site-wide data alone (a page's URL
    from its url_path, an image's picture markup), whatever page asks.

    Without a request (no token read once for it) nothing is kept.
    """
    if request is None:
        return build()
    token = _token(request)
    with _lock:
        if _state["token"] != token:
            _state["token"], _state["data"] = token, {}
        found = _state["data"].get(("memo", table))
        if found is not None and key in found:
            return found[key]
    value = build()
    with _lock:
        if _state["token"] == token:
            found = _state["data"].setdefault(("memo", table), {})
            if len(found) >= limit:
                found.clear()
            found[key] = value
    return value


def _site(request):
    from wagtail.models import Site

    return Site.find_for_request(request) if request is not None else None


def homes(request):
    """{language code: live home page} for the request's site."""
    site = _site(request)
    if site is None:
        return {}

    def build():
        HomePage = apps.get_model("news", "HomePage")  # models imports this module
        return {home.locale.language_code: home for home in
                HomePage.objects.live().select_related("locale")
                .filter(translation_key=site.root_page.translation_key)}

    return cached(request, ("homes", site.pk), build)


def sections(request, home):
    """Live, public sections under a home, in tree order."""
    if home is None:
        return []

    def build():
        SectionPage = apps.get_model("news", "SectionPage")
        return list(SectionPage.objects.live().public().child_of(home).select_related("locale"))

    return cached(request, ("sections", home.pk), build)


def site_setting(request, model):
    """A site setting (BaseSiteSetting) of the request's site; DoesNotExist without a site."""
    site = _site(request)
    if site is None:
        raise model.DoesNotExist(f"{model.__name__} does not exist for site None.")
    instance = copy.copy(cached(request, (model._meta.label, site.pk),
                                lambda: model.for_site(site)))
    instance._request = request  # as Wagtail's for_request, for page URLs
    return instance


# Sites looked up by (hostname, port): a bounded number, so a stream of made-up Host
# headers cannot grow the process's memory.
MAX_HOSTS = 64


def site_for(request):
    """Wagtail's Site for the request's host, looked up once per process and token.

    Stored on the request as Wagtail's Site.find_for_request keeps it, so Wagtail's
    own routing and settings read it from there.
    """
    from django.http.request import split_domain_port
    from wagtail.models import Site

    if hasattr(request, "_wagtail_site"):
        return request._wagtail_site
    host = (split_domain_port(request._get_raw_host())[0], request.get_port())
    sites = cached(request, "sites", dict)
    if host in sites:
        site = sites[host]
    else:
        site = Site._find_for_request(request)
        if len(sites) < MAX_HOSTS:
            with _lock:
                sites[host] = site
    request._wagtail_site = site
    return site


def restrictions(request=None):
    """[(tree path, PageViewRestriction)] of every private subtree, and the tree paths
    of alias pages that are not articles (an article has no children)."""

    def build():
        PageViewRestriction = apps.get_model("wagtailcore", "PageViewRestriction")
        Page = apps.get_model("wagtailcore", "Page")
        ArticlePage = apps.get_model("news", "ArticlePage")
        rows = [(r.page.path, r) for r in PageViewRestriction.objects.select_related("page")]
        aliases = frozenset(Page.objects.filter(alias_of__isnull=False).not_type(ArticlePage)
                            .values_list("path", flat=True))
        return rows, aliases

    return cached(request, "restrictions", build)

