"""Turn a rendered page into a portable file: relative links, CSP inside.

Works on the HTML text with small regular expressions rather than a parser,
so that everything we do not touch keeps its exact bytes. Script and style
element contents are never rewritten (a JSON-LD block may hold absolute URLs
on purpose); their hashes go into the page's Content-Security-Policy.
"""

import base64
import hashlib
import html
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from django.utils import translation
from django.utils.translation import gettext

RAW_BLOCK = re.compile(
    rb"<(script|style)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
TAG = re.compile(
    rb"<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)"
    rb"\s*(/?)>",
    re.DOTALL,
)
ATTR = re.compile(
    rb"(\s+)([^\s=>/]+)(?:(\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?", re.DOTALL
)
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")
URL_ATTRS = {b"href", b"src", b"action", b"poster", b"data", b"formaction"}
# A tag whose lowered attribute text holds none of these, and whose name is not one
# that `PageRewriter.tag` looks at, comes out as it went in (less the space before
# its ">"): the regular expression alone says so, without splitting its attributes.
# The words are substrings of every attribute the rewriter changes (srcset,
# imagesrcset, formaction and data-* included); one in a value only means the slow path.
CHANGING = re.compile(rb"href|src|action|poster|data|nonce|style", re.IGNORECASE)
NAMES_LOOKED_AT = frozenset({b"input", b"link", b"meta", b"form"})
# The attributes whose value `PageRewriter.tag` reads (and data-*).
READ_ATTRS = URL_ATTRS | {b"srcset", b"imagesrcset", b"style"}
ANCHOR = re.compile(rb"<a\b[^>]*>(.*?)</a\s*>", re.IGNORECASE | re.DOTALL)
FORM = re.compile(rb"<form\b([^>]*)>.*?</form\s*>", re.IGNORECASE | re.DOTALL)
LIST_ITEM_LINK = re.compile(
    rb"<li\b[^>]*>\s*(<a\b[^>]*>.*?</a\s*>)\s*</li\s*>", re.IGNORECASE | re.DOTALL
)
HEAD_OPEN = re.compile(rb"<head\b[^>]*>", re.IGNORECASE)
CHARSET_META = re.compile(rb"\s*<meta\s+charset=[^>]*>", re.IGNORECASE)
BODY_CLOSE = re.compile(rb"</body\s*>", re.IGNORECASE)
HTML_LANG = re.compile(rb"<html\b[^>]*\blang=\"([^\"]+)\"", re.IGNORECASE)


@dataclass
class Target:
    """What a link points at, decided by the exporter (see Exporter.classify)."""

    kind: str  # "page", "asset", "external", "donation", "drop", "keep"
    path: str = ""  # site path for page/asset
    url: str = ""  # absolute URL for donation


@dataclass
class Result:
    body: bytes
    links: set = field(default_factory=set)
    assets: set = field(default_factory=set)


def file_for(path, ext="html"):
    """The file (relative to the export root) that holds the URL path."""
    rel = unquote(path).lstrip("/")
    if rel == "" or rel.endswith("/"):
        return rel + "index." + ext
    return rel


def relative_href(from_file, to_file, fragment=""):
    href = _relative(posixpath.dirname(from_file), to_file)
    return href + (("#" + fragment) if fragment else "")


def _relative(start, to_file):
    """posixpath.relpath for clean relative paths, percent-encoded. Not cached: each
    page starts from its own folder, so across an export almost every pair is new (1,000
    articles: 1,674 hits in 90,756 calls), and a cache of 200,000 pairs held about 100 MB
    in each export process at 10,000 articles. A page's repeated links are looked up once
    by `PageRewriter.href`."""
    here = start.split("/") if start else []
    there = to_file.split("/")
    common = 0
    limit = min(len(here), len(there) - 1)
    while common < limit and here[common] == there[common]:
        common += 1
    rel = "/".join([".."] * (len(here) - common) + there[common:])
    return quote(rel, safe="/-._~!$&'()*+,;=:@")


def csp_hash(content):
    return "'sha256-" + base64.b64encode(hashlib.sha256(content).digest()).decode() + "'"


def _attrs(raw):
    return [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in ATTR.finditer(raw)]


def _value(quoted):
    if quoted is None:
        return None
    if quoted[:1] in (b'"', b"'"):
        quoted = quoted[1:-1]
    return html.unescape(quoted.decode("utf-8", "replace"))


def _quote_attr(value):
    return b'"' + html.escape(value, quote=True).encode() + b'"'


# Tags whose rewriting read nothing of the page (a <meta> or <input> without a URL, an
# attribute list with "data" in a value): the same bytes in, the same out, on every page.
# Bounded: emptied when full.
_PAGE_FREE = {}
_PAGE_FREE_LIMIT = 20_000


class PageRewriter:
    """Rewrites one HTML page. `classify(url, base_path)` -> Target."""

    def __init__(self, classify, file_of, page_path, page_file, options):
        self.classify = classify
        self.file_of = file_of
        self.page_path = page_path
        self.page_file = page_file
        self.options = options
        self.result = Result(b"")
        self.script_hashes = set()
        self.style_hashes = set()
        self.style_attr_hashes = set()
        self.language = None
        self._hrefs = {}
        self._dropped = {}
        self._page_reads = 0  # calls that read the page (links, styles, form actions)

    # -- links ---------------------------------------------------------------
    def href(self, url, *, crawl=True):
        """The portable form of `url`, or None to drop it (once per URL and page: a page
        links to its sections, tags and authors many times over)."""
        self._page_reads += 1
        key = (url, crawl)
        try:
            return self._hrefs[key]
        except KeyError:
            new = self._hrefs[key] = self._href(url, crawl)
            return new

    def _href(self, url, crawl):
        target = self.classify(url, self.page_path)
        if target.kind in ("external", "keep"):
            return url
        if target.kind == "donation":
            return target.url
        if target.kind == "drop":
            return None
        fragment = urlsplit(url).fragment
        if target.kind == "asset":
            self.result.assets.add(target.path)
        elif crawl:
            self.result.links.add(target.path)
        return relative_href(self.page_file, self.file_of(target.path), fragment)

    def css(self, text, base_path, base_file):
        self._page_reads += 1

        def replace(match):
            url = match.group(2) or match.group(4)
            if url.startswith(("data:", "#")):
                return match.group(0)
            target = self.classify(url, base_path)
            if target.kind not in ("asset", "page"):
                return match.group(0)
            if target.kind == "asset":
                self.result.assets.add(target.path)
            rel = relative_href(base_file, self.file_of(target.path))
            if match.group(2) is not None:
                return f'url("{rel}")'
            return f'@import "{rel}"'

        return CSS_URL.sub(replace, text)

    # -- tags ----------------------------------------------------------------
    def tag(self, match):
        raw_name, raw_attrs, slash = match.groups()
        name = raw_name.lower()
        if name not in NAMES_LOOKED_AT and not CHANGING.search(raw_attrs):
            return b"<" + raw_name + raw_attrs + slash + b">"
        raw = match.group(0)
        done = _PAGE_FREE.get(raw)
        if done is not None:
            return done
        reads = self._page_reads
        out = self._tag(match, raw_name, raw_attrs, slash, name)
        if self._page_reads == reads:
            if len(_PAGE_FREE) >= _PAGE_FREE_LIMIT:
                _PAGE_FREE.clear()
            _PAGE_FREE[raw] = out
        return out

    def _tag(self, match, raw_name, raw_attrs, slash, name):
        attrs = _attrs(raw_attrs)
        # Only the tags named here read their attributes as a whole.
        values = {a[1].lower(): _value(a[3]) for a in attrs} if name in NAMES_LOOKED_AT else {}
        if name == b"input" and values.get(b"name") == "csrfmiddlewaretoken":
            return b""
        rel = (values.get(b"rel") or "").lower().split()
        if name == b"link" and "canonical" in rel:
            return match.group(0)  # metadata keeps the primary (or onion) address
        if name == b"link" and ({"preconnect", "dns-prefetch", "prefetch"} & set(rel)):
            return b""
        if name == b"meta" and (values.get(b"http-equiv") or "").lower() in (
            "content-security-policy",
            "onion-location",
        ):
            return b""
        out = [b"<", raw_name]
        for space, key, equals, quoted in attrs:
            lower = key.lower()
            if lower == b"nonce":
                continue
            if lower not in READ_ATTRS and not lower.startswith(b"data-"):
                out += [space, key]  # an attribute kept as it is
                if equals is not None:
                    out += [equals, quoted]
                continue
            value = _value(quoted)
            if value is not None and (
                lower in URL_ATTRS or (lower.startswith(b"data-") and value.startswith("/")
                                        and not value.startswith("//") and " " not in value)
            ):
                new = self.href(value)
                if new is None:
                    if lower == b"href":
                        continue  # an <a> without href is plain text
                    new = ""
                if name == b"form" and lower == b"action" and self._posts(values):
                    new = self.form_action(value)
                out += [space, key, b"=", _quote_attr(new)]
                continue
            if lower in (b"srcset", b"imagesrcset") and value is not None:
                parts = []
                for item in value.split(","):
                    bits = item.strip().split()
                    if bits:
                        bits[0] = self.href(bits[0]) or bits[0]
                        parts.append(" ".join(bits))
                out += [space, key, b"=", _quote_attr(", ".join(parts))]
                continue
            if lower == b"style" and value is not None:
                value = self.css(value, self.page_path, self.page_file)
                self.style_attr_hashes.add(csp_hash(value.encode()))
                out += [space, key, b"=", _quote_attr(value)]
                continue
            out += [space, key]
            if equals is not None:
                out += [equals, quoted]
        if name == b"form" and self._posts(values) and b"action" not in values:
            out += [b" action=", _quote_attr(self.form_action(self.page_path))]
        out += [slash, b">"]
        return b"".join(out)

    @staticmethod
    def _posts(values):
        return (values.get(b"method") or "get").lower() == "post"

    def form_action(self, url):
        """A form that posts needs a server: send it to the donation origin."""
        self._page_reads += 1
        target = self.classify(url, self.page_path)
        if target.kind == "donation":
            return target.url
        if target.kind in ("page", "asset"):
            origin = self.options.get("donation_origin") or ""
            return origin + target.path if origin else ""
        return url

    def block(self, raw):
        """A <script>, <style> or comment: untouched except style url()s."""
        lower = raw[:7].lower()
        if lower.startswith(b"<!--"):
            return raw
        open_end = raw.index(b">") + 1
        close_start = raw.lower().rindex(b"</")
        opening = TAG.sub(self.tag, raw[:open_end])
        content = raw[open_end:close_start]
        if lower.startswith(b"<style"):
            content = self.css(
                content.decode("utf-8"), self.page_path, self.page_file
            ).encode()
            if content.strip():
                self.style_hashes.add(csp_hash(content))
        elif b" src=" not in opening and content.strip():
            self.script_hashes.add(csp_hash(content))
        return opening + content + raw[close_start:]

    # -- whole page ------------------------------------------------------------
    def remove_unavailable(self, body):
        """Search needs a server: drop its links and forms, say so once."""
        markers = self.options.get("drop_markers")
        if markers is not None and not any(marker in body for marker in markers):
            return body
        is_dropped = self._is_dropped

        def drop_form(match):
            values = {a[1].lower(): _value(a[3]) for a in _attrs(match.group(1))}
            action = values.get(b"action") or self.page_path
            method = (values.get(b"method") or "get").lower()
            if method == "get" and is_dropped(action):
                return search_note(self.language)
            return match.group(0)

        body = FORM.sub(drop_form, body)

        def drop_item(match):
            return b"" if self._anchor_dropped(match.group(1)) else match.group(0)

        body = LIST_ITEM_LINK.sub(drop_item, body)

        def drop_anchor(match):
            return match.group(1) if self._anchor_dropped(match.group(0)) else match.group(0)

        return ANCHOR.sub(drop_anchor, body)

    def _anchor_dropped(self, anchor):
        try:
            return self._dropped[anchor]
        except KeyError:
            dropped = self._dropped[anchor] = self._anchor_dropped_now(anchor)
            return dropped

    def _anchor_dropped_now(self, anchor):
        opening = TAG.match(anchor)
        if not opening:
            return False
        values = {a[1].lower(): _value(a[3]) for a in _attrs(opening.group(2))}
        href = values.get(b"href")
        return href is not None and self._is_dropped(href)

    def _is_dropped(self, url):
        return self.classify(url, self.page_path).kind == "drop"

    def rewrite(self, body):
        lang = HTML_LANG.search(body)
        self.language = lang.group(1).decode() if lang else None
        body = self.remove_unavailable(body)
        pieces = []
        last = 0
        for match in RAW_BLOCK.finditer(body):
            pieces.append(TAG.sub(self.tag, body[last:match.start()]))
            pieces.append(self.block(match.group(0)))
            last = match.end()
        pieces.append(TAG.sub(self.tag, body[last:]))
        body = b"".join(pieces)
        body = self.insert_head(body)
        body = self.insert_note(body)
        self.result.body = body
        return self.result

    def policy(self):
        opts = self.options
        script = " ".join(["'self'", *sorted(self.script_hashes)])
        style_hashes = sorted(self.style_hashes | self.style_attr_hashes)
        style = " ".join(["'self'", *(["'unsafe-hashes'"] if self.style_attr_hashes else []),
                          *style_hashes])
        form_action = " ".join(["'self'", *opts["form_origins"]])
        return (
            f"default-src 'self'; img-src 'self' data:; style-src {style}; "
            f"script-src {script}; form-action {form_action}; base-uri 'none'; "
            "object-src 'none'"
        )

    def insert_head(self, body):
        opts = self.options
        metas = [
            f'<meta http-equiv="Content-Security-Policy" '
            f'content="{html.escape(self.policy(), quote=False)}">'
        ]
        if not re.search(rb"<meta\s+name=\"referrer\"", body, re.IGNORECASE):
            metas.append('<meta name="referrer" content="no-referrer">')
        if opts.get("onion_url") and not opts.get("onion"):
            metas.append(
                f'<meta http-equiv="onion-location" '
                f'content="{html.escape(opts["onion_url"] + self.page_path)}">'
            )
        insert = ("\n" + "\n".join(metas)).encode()
        head = HEAD_OPEN.search(body)
        if head is None:
            return body
        at = head.end()
        charset = CHARSET_META.match(body, at)
        if charset:
            at = charset.end()
        return body[:at] + insert + body[at:]

    def insert_note(self, body):
        note = self.options.get("mirror_note")
        if not note:
            return body
        text = note(self.language).encode()
        closes = list(BODY_CLOSE.finditer(body))
        if not closes:
            return body
        at = closes[-1].start()
        return body[:at] + text + b"\n" + body[at:]


def mirror_note(site_url, donation_origin, onion):
    """A plain note on every exported page: what this copy is, where money goes."""
    host = urlsplit(site_url).netloc
    donation_host = urlsplit(donation_origin).netloc if donation_origin else ""

    def render(language):
        with translation.override(language or "en"):
            text = gettext("This is a copy of %(host)s for readers who cannot reach it.") % {
                "host": host
            }
            if donation_host:
                text += " " + gettext(
                    "Contributions are taken on %(host)s, which a server must handle."
                ) % {"host": donation_host}
            elif onion:
                text += " " + gettext("Contributions cannot be made on this copy.")
            label = gettext("About this copy")
        # A landmark of its own: it follows the footer, and content outside every
        # landmark is lost to screen-reader users who move by landmark (axe "region").
        return (f'<aside class="mirror-note wrap" aria-label="{html.escape(label)}">'
                f'<p>{html.escape(text)}</p></aside>')

    return render


def search_note(language=None):
    with translation.override(language or "en"):
        text = gettext("Search is not available on this copy of the site.")
    return f'<p class="mirror-note">{html.escape(text)}</p>'.encode()


def rewrite_css(text, css_path, classify, file_of):
    """Relative url()s in a stylesheet; returns (text, asset paths)."""
    rewriter = PageRewriter(classify, file_of, css_path, file_of(css_path), {})
    text = rewriter.css(text, css_path, file_of(css_path))
    return text, rewriter.result.assets
