"""Site-wide data that every reader page shows, fetched once per process.

Navigation, the homes of each language, the outlet's settings, the appeals and
the contribution widget's options are the same on every page of a site. Pages
and template tags read them from here instead of querying for them.

Entries live per process under two tokens:
- the page cache's generation (pagecache.current_generation), which publishing,
  unpublishing, moving or deleting a page and saving a snippet or setting
  replace in every process that shares the cache (signal_handlers.py);
- a local epoch, bumped by any row saved or deleted in this process (but the
  rows in UNREAD, written all the time and never read here), so a change made
  here is never answered from a stale copy, even one no signal handler above
  treats as site-wide.
The tokens are read once per request (kept on the request).
"""

import copy
import itertools
import threading

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from .pagecache import current_generation

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
        return list(SectionPage.objects.live().public().child_of(home))

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
