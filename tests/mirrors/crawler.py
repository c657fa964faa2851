"""A small crawler for the served export: every link and asset, relative to the base."""

import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser

CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


class LinkParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []  # (tag, attribute, value, rel)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = (attrs.get("rel") or "").lower().split()
        for name in ("href", "src", "action", "poster"):
            if attrs.get(name):
                self.links.append((tag, name, attrs[name], rel))
        for name in ("srcset", "imagesrcset"):
            for item in (attrs.get(name) or "").split(","):
                if item.strip():
                    self.links.append((tag, name, item.strip().split()[0], rel))
        if tag == "meta" and (attrs.get("property", "").startswith("og:")
                              or attrs.get("name", "").startswith("twitter:")):
            content = attrs.get("content") or ""
            if content.startswith("http"):
                self.links.append((tag, "content", content, ["metadata"]))


@dataclass
class Crawl:
    base: str
    fetched: dict = field(default_factory=dict)  # url -> status
    broken: list = field(default_factory=list)  # (url, from)
    outside: list = field(default_factory=list)  # (tag, attr, url, from) leaving base
    metadata: list = field(default_factory=list)  # canonical / og urls
    html_pages: set = field(default_factory=set)


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, "", b""


def sitemap_starts(base, primary):
    """The sitemap's page URLs, moved from the primary host to the served copy."""
    status, _type, body = fetch(urllib.parse.urljoin(base, "sitemap.xml"))
    if status != 200:
        return []
    locs = re.findall(r"<loc>([^<]+)</loc>", body.decode("utf-8"))
    return [base + loc[len(primary):].lstrip("/") + ("index.html" if loc.endswith("/") else "")
            for loc in locs if loc.startswith(primary)]


def crawl(base, start="index.html", limit=5000, extra_starts=()):
    """Follow every same-origin link from base+start; record what fails."""
    result = Crawl(base)
    queue = [(urllib.parse.urljoin(base, start), "(start)")]
    queue += [(url, "(sitemap)") for url in extra_starts]
    while queue and len(result.fetched) < limit:
        url, source = queue.pop()
        url = urllib.parse.urldefrag(url)[0]
        if url in result.fetched:
            continue
        status, content_type, body = fetch(url)
        result.fetched[url] = status
        if status != 200:
            result.broken.append((url, source))
            continue
        text = body.decode("utf-8", "replace")
        found = []
        if url.endswith(".css"):
            found = [("css", "url", u, []) for u in CSS_URL.findall(text)]
        elif content_type == "text/html" or url.endswith(".html"):
            result.html_pages.add(url)
            parser = LinkParser()
            parser.feed(text)
            found = parser.links
        for tag, attr, value, rel in found:
            if value.startswith(("#", "data:", "mailto:", "tel:")):
                continue
            absolute = urllib.parse.urljoin(url, value)
            if "canonical" in rel or "metadata" in rel:
                result.metadata.append(absolute)
                continue
            if not absolute.startswith(base):
                result.outside.append((tag, attr, absolute, url))
                continue
            queue.append((absolute, url))
    return result
