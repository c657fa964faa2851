"""Paths without a language prefix: the archive's sitemap (like the site's own
sitemaps) and the hosted senders' tracking webhooks (bounces.py)."""

from django.urls import include, path

from . import archive

ANYMAIL_PREFIX = "newsletters/anymail/"

urlpatterns = [
    # Verified by anymail, e.g. /newsletters/anymail/mailgun/tracking/.
    path(ANYMAIL_PREFIX, include("anymail.urls")),
    path("newsletters-sitemap.xml", archive.sitemap, name="newsletters_sitemap"),
]
