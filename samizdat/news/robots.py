"""robots.txt: where the sitemaps are, and what crawlers should leave alone.

The sitemaps are every app's: each declares its own through `sitemaps()` of its
`SiteUrls` (samizdat.core.site_urls), found by name, so news names the newsletter
archive's sitemap without importing newsletters.
"""

from django.conf import settings
from django.http import HttpResponse

from samizdat.core.site_urls import declarations

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


def sitemap_urls():
    """Every app's sitemaps on SITE_URL, news's first, each once."""
    base = settings.SITE_URL.rstrip("/")
    paths = [path for urls in declarations() for path in urls.sitemaps()]
    return [base + path for path in dict.fromkeys(paths)]


def robots_txt(request):
    lines = ["User-agent: *"]
    lines += [f"Disallow: {path}" for path in disallowed_paths()]
    lines += ["", *(f"Sitemap: {url}" for url in sitemap_urls())]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
