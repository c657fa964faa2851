"""Links that still work where the site is blocked.

At send time the freshest active web mirror is chosen from the mirror list
(`samizdat.mirrors.mirrorlist`: newsletters reads mirrors, mirrors never reads
newsletters). Every link to our site in an issue is then followed by the same
path on that mirror, or replaced by it, as the newsletter says; the footer lists
every active mirror and the onion address. Image sources are left on our host:
a mirror is another host, and a mail client must fetch nothing from one.
"""

import re
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.translation import gettext as _

from samizdat.mirrors.mirrorlist import active_mirrors, onion_url
from samizdat.mirrors.models import Mirror


@dataclass(frozen=True)
class Mirrors:
    freshest: str = ""  # base URL without a trailing slash, or "" when there is none
    listed: list = field(default_factory=list)  # [(label, url)] of every active mirror
    onion: str = ""


def _freshness(mirror):
    """A mirror whose last check found it current beats one never checked or failing;
    among those, the most recently checked, then the most recently added or changed."""
    ok = mirror.last_check_result.strip().upper().startswith("OK")
    checked = mirror.last_checked_at if ok and mirror.last_checked_at else mirror.updated_at
    return ok, checked, mirror.updated_at, mirror.pk


def current():
    """The mirror list as it stands now (read once per rendered issue)."""
    mirrors = active_mirrors()
    web = [m for m in mirrors if m.kind == Mirror.Kind.HTTPS]
    freshest = max(web, key=_freshness).url.rstrip("/") if web else ""
    onion = onion_url()
    listed = [
        (m.label or m.url, m.url)
        for m in mirrors
        if m.kind != Mirror.Kind.ONION and m.url.startswith(("http://", "https://"))
    ]
    return Mirrors(freshest=freshest, listed=listed, onion=onion)


def _site_link(base):
    # Our own URLs only: "https://site.example" must not match "https://site.example.evil".
    return re.escape(base) + r'(?P<path>(?:/[^"\s<>]*)?)(?=["\s<>)]|$)'


def in_html(markup, base, mirror, instead):
    """Each `<a href>` to `base`, followed by the mirror's copy or pointing at it."""
    if not mirror:
        return markup
    anchor = re.compile(
        r'<a\s(?P<before>[^>]*?)href="'
        + _site_link(base)
        + r'"(?P<after>[^>]*)>(?P<label>.*?)</a>',
        re.S,
    )

    label = escape(_("mirror"))

    def link(match):
        path = match.group("path") or "/"
        on_mirror = escape(mirror + path)
        if instead:
            return (
                f'<a {match.group("before")}href="{on_mirror}"{match.group("after")}>'
                f"{match.group('label')}</a>"
            )
        return f'{match.group(0)} <small>(<a href="{on_mirror}">{label}</a>)</small>'

    return anchor.sub(link, markup)


def in_text(text, base, mirror, instead):
    """The same for the plain-text part: each site URL followed or replaced."""
    if not mirror:
        return text
    url = re.compile(_site_link(base))
    label = _("mirror:")

    def link(match):
        path = match.group("path") or "/"
        if instead:
            return mirror + path
        return f"{match.group(0)} ({label} {mirror + path})"

    return url.sub(link, text)
