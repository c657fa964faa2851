from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from samizdat.converters import register as register_converters

# Machine endpoints (robots, sitemaps, webhooks, JSON) live at fixed paths;
# pages for readers are language-prefixed (English unprefixed, /ru/ Russian).
register_converters()  # before the apps' URLconfs below are read

urlpatterns = [
    path(f"{settings.WAGTAIL_ADMIN_PATH}/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("samizdat.news.root_urls")),
    path("", include("samizdat.support.root_urls")),
    path("", include("samizdat.appeals.root_urls")),
    path("", include("samizdat.mirrors.root_urls")),
    path("", include("samizdat.newsletters.root_urls")),
]

urlpatterns += i18n_patterns(
    path("", include("samizdat.news.urls")),
    path("", include("samizdat.support.urls")),
    path("", include("samizdat.appeals.urls")),
    path("", include("samizdat.mirrors.urls")),
    path("", include("samizdat.newsletters.urls")),
    path("", include("samizdat.security.urls")),
    path("", include(wagtail_urls)),
    prefix_default_language=False,
)

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns = (
        staticfiles_urlpatterns()
        + static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
        + urlpatterns
    )

handler404 = "samizdat.news.views.page_not_found"
handler500 = "samizdat.news.views.server_error"
