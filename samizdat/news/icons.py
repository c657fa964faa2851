"""The site's icons: the one set in the admin (outlet settings), or the shipped ones.

Browsers ask for /favicon.ico whatever the page says, so it always answers.
"""

from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponseRedirect

SHIPPED = {
    "ico": "news/icons/favicon.ico",
    "svg": "news/icons/icon.svg",
    "apple": "news/icons/apple-touch-icon.png",
}
# Renditions of an uploaded icon: a tab icon and the 180 px apple-touch size.
TAB_FILTER = "fill-32x32|format-png"
APPLE_FILTER = "fill-180x180|format-png"


def icon_links(outlet):
    """[(rel, href, type, sizes)] for <head>."""
    image = getattr(outlet, "icon", None)
    if image is not None:
        tab = image.get_rendition(TAB_FILTER)
        apple = image.get_rendition(APPLE_FILTER)
        return [
            {"rel": "icon", "href": tab.url, "type": "image/png", "sizes": "32x32"},
            {"rel": "apple-touch-icon", "href": apple.url, "type": "", "sizes": "180x180"},
        ]
    return [
        {"rel": "icon", "href": staticfiles_storage.url(SHIPPED["ico"]), "type": "",
         "sizes": "32x32"},
        {"rel": "icon", "href": staticfiles_storage.url(SHIPPED["svg"]),
         "type": "image/svg+xml", "sizes": ""},
        {"rel": "apple-touch-icon", "href": staticfiles_storage.url(SHIPPED["apple"]),
         "type": "", "sizes": "180x180"},
    ]


def favicon(request):
    """/favicon.ico: the admin's icon (as a PNG rendition) or the shipped ICO."""
    from .models import OutletSettings

    try:
        outlet = OutletSettings.for_request(request)
    except OutletSettings.DoesNotExist:  # no site for this host
        outlet = None
    href = icon_links(outlet)[0]["href"]
    response = HttpResponseRedirect(href)
    response["Cache-Control"] = "public, max-age=86400"
    return response
