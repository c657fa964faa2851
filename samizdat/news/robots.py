"""robots.txt: where the sitemaps are, and what crawlers should leave alone."""

from django.conf import settings
from django.http import HttpResponse

# Only the default admin path is listed: a newsroom that moved its admin to
# a secret address should not have robots.txt announce it.
DEFAULT_ADMIN_PATH = "admin"


def disallowed_paths():
    """The admin (at its default address) and each language's search page."""
    paths = []
    if settings.WAGTAIL_ADMIN_PATH == DEFAULT_ADMIN_PATH:
        paths.append(f"/{DEFAULT_ADMIN_PATH}/")
    for code, _name in settings.LANGUAGES:
        prefix = "" if code == settings.LANGUAGE_CODE else f"/{code}"
        paths.append(f"{prefix}/search/")
    return paths


def robots_txt(request):
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in disallowed_paths()]
    lines += [
        "",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
        f"Sitemap: {settings.SITE_URL}/news-sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
