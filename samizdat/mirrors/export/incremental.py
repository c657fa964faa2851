"""Incremental exports: a snapshot of what pages are built from, kept beside
OUTDIR with the link graph, and the URLs a change between two snapshots can
alter. Which lists a page shows in is each app's to say (`SiteUrls`)."""

import contextlib
import gzip
import hashlib
import json
import os
from pathlib import Path

from django.conf import settings

from samizdat.core.site_urls import PublishedPage

from .. import manifest as manifest_mod
from .. import urlset

STATE_VERSION = 4


def state_path(outdir):
    return outdir.parent / f".{outdir.name}.export-state.json.gz"


def load_state(outdir):
    """The state of the export in OUTDIR, or None when there is no usable one."""
    if not (outdir / manifest_mod.MANIFEST_NAME).exists():
        return None
    try:
        with gzip.open(state_path(outdir), "rt", encoding="utf-8") as handle:
            state = json.load(handle)
    except (OSError, ValueError, EOFError):
        return None
    if state.get("version") != STATE_VERSION:
        return None
    return state


def save_state(outdir, state):
    """Written as it is encoded: the whole JSON of 10,000 pages as one string (and its
    bytes) was the export's largest allocation, after its workers had ended."""
    with gzip.GzipFile(state_path(outdir), "wb", mtime=0) as handle:
        for chunk in _json_chunks(state, depth=2):
            handle.write(chunk.encode())


def _json_chunks(value, depth):
    """json.dumps(value, sort_keys=True, separators=(",", ":")) in pieces: the dicts of
    the top `depth` levels key by key, everything below each in one piece."""
    if depth <= 0 or not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        yield json.dumps(value, sort_keys=True, separators=(",", ":"))
        return
    yield "{"
    for n, key in enumerate(sorted(value)):
        yield ("," if n else "") + json.dumps(key) + ":"
        yield from _json_chunks(value[key], depth - 1)
    yield "}"


def take_snapshot():
    """The data pages are built from: per page, and a fingerprint of site-wide data."""
    from wagtail.models import Page

    paths = urlset.page_paths()
    rows = Page.objects.filter(pk__in=list(paths)).values_list(
        "pk", "live_revision_id", "last_published_at", "first_published_at", "path", "depth",
        "locale_id", "content_type_id")
    facts = {}
    for urls in urlset.declarations():
        for pk, named in urls.page_facts(list(paths)).items():
            facts.setdefault(pk, {}).update({name: list(v) for name, v in named.items()})
    pages = {}
    for pk, revision, published, first, tree_path, depth, locale, ctype in rows:
        pages[str(pk)] = {
            "path": paths[pk],
            "revision": revision,
            "published": published.isoformat() if published else None,
            "first": first.isoformat() if first else None,
            "tree": tree_path,
            "parent": tree_path[:-4] if depth > 1 else "",
            "locale": locale,
            "type": ctype,
            "facts": facts.get(pk, {}),
        }
    return {"pages": pages, "globals": globals_fingerprint()}


def globals_fingerprint():
    """A hash of site-wide data every page shows (names, menus, settings, code)."""
    from django.apps import apps
    from wagtail.models import Locale, Site

    from ..mirrorlist import onion_url

    digest = hashlib.sha256()

    def add(value):
        digest.update(repr(value).encode())
        digest.update(b"\0")

    add(list(Site.objects.order_by("pk").values_list()))
    add(list(Locale.objects.order_by("pk").values_list()))
    for label in getattr(settings, "SAMIZDAT_EXPORT_GLOBAL_MODELS", [
            "news.OutletSettings", "news.Author", "taggit.Tag", "mirrors.Mirror"]):
        with contextlib.suppress(LookupError):
            model = apps.get_model(label)
            if label == "mirrors.Mirror":
                add(list(model.objects.order_by("pk").values_list(
                    "pk", "url", "kind", "status", "label", "created_at", "updated_at")))
            else:
                add(list(model.objects.order_by("pk").values_list()))
    add([settings.SITE_URL, getattr(settings, "SAMIZDAT_DONATION_ORIGIN", ""), onion_url()])
    # Templates and static files: new code re-renders everything.
    for root, _dirs, files in sorted(os.walk(Path(settings.BASE_DIR) / "samizdat")):
        for name in sorted(files):
            if name.endswith((".html", ".css", ".js", ".txt", ".xml", ".py", ".mo")):
                stat = os.stat(os.path.join(root, name))
                add((os.path.join(root, name), stat.st_size, stat.st_mtime_ns))
    return digest.hexdigest()


def published(pages):
    """{id: PublishedPage} of a snapshot's pages."""
    return {pid: PublishedPage(id=pid, path=info["path"], tree=info["tree"],
                               parent=info["parent"], locale=info["locale"],
                               facts={k: tuple(v) for k, v in info["facts"].items()})
            for pid, info in pages.items()}


def affected_urls(state, snapshot, seeds, is_page):
    """URLs whose output a change between two snapshots can alter.

    `is_page(path)` tells whether a path is a page of the mirror.
    """
    old, new = state["snapshot"]["pages"], snapshot["pages"]
    pages = state["pages"]
    declarations = urlset.declarations()
    new_pages = published(new)
    both = {**published(old), **new_pages}
    changed = sorted(pid for pid in set(old) | set(new) if old.get(pid) != new.get(pid))
    inbound = {}
    for path, record in pages.items():
        for link in record.get("links", ()):
            inbound.setdefault(link, set()).add(path)
    page_paths = {info["path"] for info in new.values()} | {info["path"] for info in old.values()}
    affected = set()
    # App endpoints (feeds, sitemaps, JSON, the mirrors page): always.
    for path in set(pages) | seeds:
        if not urlset.is_wagtail_page(path):
            affected.add(path)
    for urls in declarations:
        affected.update(urls.always_affected(new_pages))

    def own_urls(base):
        found = {base}
        for path in pages:
            if path.startswith(base) and _owner(path, page_paths) == base:
                found.add(path)
        return found

    by_parent = {}
    for pid, info in new.items():
        by_parent.setdefault(info["parent"], set()).add(pid)
    for pid in changed:
        versions = [v for v in (old.get(pid), new.get(pid)) if v]
        for info in versions:
            for url in own_urls(info["path"]):
                affected.add(url)
                affected |= inbound.get(url, set())
        membership = {(v["path"], v["first"], json.dumps(v["facts"], sort_keys=True),
                       v["parent"]) for v in versions}
        if len(versions) == 2 and len(membership) == 1:
            continue
        # Joined or left lists: its parent's and the apps' lists, "Read more" of others.
        for info in versions:
            page = published({pid: info})[pid]
            prefixes = [url for urls in declarations for url in urls.lists_of(page, both)]
            parent = next((v["path"] for v in new.values() if v["tree"] == info["parent"]), None)
            if parent:
                prefixes.append(parent)
            for prefix in prefixes:
                prefix = urlset.normalize(prefix)
                affected.add(prefix)
                affected |= {p for p in pages if p.startswith(prefix + "page/")}
            neighbours = set(by_parent.get(info["parent"], ()))
            for urls in declarations:
                neighbours |= set(urls.neighbours_of(page, new_pages))
            affected |= {new[n]["path"] for n in neighbours if n in new}
    return {p for p in affected if is_page(p)}


def _owner(path, page_paths):
    """The deepest page whose URL is a prefix of path (routes belong to it)."""
    candidate = path
    while candidate:
        if candidate in page_paths:
            return candidate
        candidate = candidate[: candidate.rstrip("/").rfind("/") + 1] if candidate != "/" else ""
    return ""


def update(graph, state, snapshot, seeds, is_page, log):
    """Bring the graph from the previous export's to this one's: re-render what
    the change can touch (everything when site-wide data changed)."""
    old_pages = state["pages"]
    graph.nonhtml.update(state.get("nonhtml", {}))
    if state["snapshot"]["globals"] != snapshot["globals"]:
        log("Site-wide data changed: re-rendering every page.")
        graph.records = {}
        graph.crawl(sorted(seeds | set(old_pages)))
        return
    # Start from the previous results; re-render what the change can touch.
    graph.records = {p: graph.compact(dict(r)) for p, r in old_pages.items()}
    affected = affected_urls(state, snapshot, seeds, is_page)
    log(f"Incremental: {len(affected)} of {len(old_pages)} URLs to render.")
    for path in affected:
        graph.records.pop(path, None)
    new = {s for s in seeds if s not in graph.records}
    graph.crawl(sorted(affected | new))
