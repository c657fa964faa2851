"""The static export: every public URL as a file, portable and signed.

Pages are rendered in-process by Django's test client (in worker processes
when the database allows), rewritten to relative links with their CSP inside
(rewrite.py), written into a temporary folder next to OUTDIR, listed in a
signed manifest (manifest.py), and only then swapped into place. Output is a
function of the database: paths, manifests and state are sorted, nothing is
stamped with the clock.

Incremental exports keep a state file beside OUTDIR (the link graph and a
snapshot of the pages) and re-render only the URLs a change can affect;
unchanged files are hard links to the previous export.
"""

import contextlib
import errno
import fcntl
import filecmp
import gzip
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import connection, connections
from django.test import Client
from django.test.utils import override_settings

from . import manifest as manifest_mod
from . import urlset
from .rewrite import PageRewriter, Target, file_for, mirror_note, rewrite_css
from .signing import SigningError, load_secret_key

STATE_VERSION = 3
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/rss+xml",
              "application/atom+xml", "application/javascript", "application/feed+json",
              "application/manifest+json")
EXTENSIONS = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/rss+xml": "xml",
    "application/atom+xml": "xml",
    "application/json": "json",
    "application/feed+json": "json",
    "text/plain": "txt",
}


class ExportError(Exception):
    """An export that cannot run; nothing was changed in OUTDIR."""


@dataclass
class Options:
    outdir: Path
    incremental: bool = False
    force: bool = False
    jobs: int = 0
    onion: bool = False
    progress: bool | None = None
    log: object = None


@dataclass
class Summary:
    urls: int = 0
    assets: int = 0
    files: int = 0
    rendered: int = 0
    written: int = 0
    removed: int = 0
    seconds: float = 0.0
    mode: str = "full"
    problems: list = field(default_factory=list)  # warnings: broken links, missing assets
    failures: list = field(default_factory=list)  # pages that failed: the export fails
    written_files: list = field(default_factory=list)


# --- context shared with worker processes ------------------------------------

_CTX = {}


def _site_parts():
    parts = urlsplit(settings.SITE_URL)
    return parts.scheme or "http", parts.netloc


def build_context(options, tmpdir, previous):
    scheme, host = _site_parts()
    from .mirrorlist import onion_url

    onion = onion_url()
    if options.onion and not onion:
        raise ExportError(
            "--onion needs an onion address: set SAMIZDAT_ONION_URL or add an active onion mirror"
        )
    if options.onion:
        donation = getattr(settings, "SAMIZDAT_DONATION_ONION_ORIGIN", "")
    else:
        donation = getattr(settings, "SAMIZDAT_DONATION_ORIGIN", "") or settings.SITE_URL
    return {
        "scheme": scheme,
        "host": host,
        "site_url": settings.SITE_URL.rstrip("/"),
        "static_url": urlset.normalize(settings.STATIC_URL),
        "media_url": urlset.normalize(settings.MEDIA_URL),
        "tmpdir": str(tmpdir),
        "previous": str(previous) if previous else "",
        "onion": options.onion,
        "onion_url": onion,
        "donation_origin": donation.rstrip("/"),
        "nonhtml": {},
    }


def classify(url, base_path, ctx=None):
    ctx = ctx or _CTX
    url = url.strip()
    if not url or url.startswith("#"):
        return Target("keep")
    if url.startswith("/") and not url.startswith("//"):
        path, _sep, rest = url.partition("?")
        path = path.partition("#")[0]
        return _classify_path(path, rest.partition("#")[0] if _sep else "", _ctx_key(ctx))
    parts = urlsplit(url)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return Target("keep")
    if parts.netloc:
        if parts.netloc.lower() != ctx["host"].lower():
            return Target("external")
        path = parts.path or "/"
    elif parts.path:
        path = urlset.join(base_path, parts.path)
    else:
        path = base_path
    return _classify_path(path, parts.query, _ctx_key(ctx))


_CTX_BY_KEY = {}


def _ctx_key(ctx):
    key = id(ctx)
    _CTX_BY_KEY[key] = ctx
    return key


@lru_cache(maxsize=200_000)
def _classify_path(path, query, ctx_key):
    ctx = _CTX_BY_KEY[ctx_key]
    path = urlset.normalize(path)
    if path.startswith((ctx["static_url"], ctx["media_url"])):
        return Target("asset", path)
    if urlset.is_excluded(path):
        return Target("drop")
    if urlset.is_donation(path):
        origin = ctx["donation_origin"]
        if not origin:
            return Target("drop")
        return Target("donation", url=origin + path + (f"?{query}" if query else ""))
    return Target("page", path)


def file_of(path, ctx=None, assumed=None):
    ctx = ctx or _CTX
    if path.startswith((ctx["static_url"], ctx["media_url"])):
        return file_for(path)
    if path.endswith("/"):
        ext = ctx["nonhtml"].get(path)
        if ext is None:
            if assumed is not None:
                assumed.add(path)
            ext = "html"
        return file_for(path, ext)
    return file_for(path)


def extension_for(content_type):
    return EXTENSIONS.get(content_type, "html" if content_type.startswith("text/html") else "bin")


def text_links(body, ctx):
    """Same-origin absolute URLs inside feeds, sitemaps and JSON: more to crawl."""
    pattern = re.compile(re.escape(ctx["site_url"]).encode() + rb"(/[^\s\"'<>\\]*)")
    found = set()
    for match in pattern.finditer(body):
        target = classify(match.group(1).decode("utf-8", "replace"), "/", ctx)
        if target.kind == "page":
            found.add(target.path)
    return found


def write_if_changed(root, rel, data):
    """Write data to root/rel unless it holds exactly that; True when written."""
    path = Path(root) / rel
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except NotADirectoryError as exc:
        raise ExportError(f"{rel}: a file stands where a folder is needed") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".w-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return True


# --- rendering (runs in workers, or in-process) ----------------------------------

_CLIENT = None


def _client():
    global _CLIENT
    if _CLIENT is None:
        _CLIENT = Client(raise_request_exception=False)
    return _CLIENT


def render_one(path, ctx=None):
    ctx = ctx or _CTX
    client = _client()
    client.cookies.clear()
    response = client.get(
        unquote(path), HTTP_HOST=ctx["host"], secure=ctx["scheme"] == "https"
    )
    result = {"path": path, "status": response.status_code, "type": "", "file": "",
              "links": [], "assets": [], "assumed": [], "written": False,
              "sha256": "", "size": 0}
    if response.status_code in (301, 302, 303, 307, 308):
        target = classify(response["Location"], path, ctx)
        if target.kind != "page":
            result["status"] = "server"
            return result
        assumed = set()
        page_file = file_of(path, ctx, assumed)
        rel = PageRewriter(lambda u, b: classify(u, b, ctx), lambda p: file_of(p, ctx, assumed),
                           path, page_file, {}).href(target.path)
        body = (
            '<!DOCTYPE html>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="refresh" content="0; url={rel}">\n'
            f'<meta name="referrer" content="no-referrer">\n<a href="{rel}">{rel}</a>\n'
        ).encode()
        result.update(status=200, type="text/html", file=page_file, links=[target.path],
                      assumed=sorted(assumed))
        return _store(result, body, ctx)
    if response.status_code != 200:
        return result
    if response.cookies:
        result["status"] = "server"  # it sets a cookie: a form that needs the server
        return result
    content_type = response.get("Content-Type", "text/html").split(";")[0].strip().lower()
    body = b"".join(response.streaming_content) if response.streaming else response.content
    result["type"] = content_type
    if path.endswith("/") and extension_for(content_type) != "html":
        ctx["nonhtml"][path] = extension_for(content_type)
    assumed = set()
    page_file = file_for(path, extension_for(content_type)) if path.endswith("/") else \
        file_for(path)
    result["file"] = page_file
    if content_type in ("text/html", "application/xhtml+xml"):
        options = {
            "donation_origin": ctx["donation_origin"],
            "form_origins": [ctx["donation_origin"]] if ctx["donation_origin"] else [],
            "onion_url": ctx["onion_url"],
            "onion": ctx["onion"],
            "mirror_note": mirror_note(ctx["site_url"], ctx["donation_origin"], ctx["onion"]),
            "drop_markers": [p.encode() for p in (*urlset.search_paths(),
                                                  *urlset.excluded_prefixes())],
        }
        rewriter = PageRewriter(
            lambda u, b: classify(u, b, ctx), lambda p: file_of(p, ctx, assumed), path,
            page_file, options,
        )
        rewritten = rewriter.rewrite(body)
        body = rewritten.body
        result["links"] = sorted(rewritten.links)
        result["assets"] = sorted(rewritten.assets)
        result["assumed"] = sorted(assumed)
    elif content_type.startswith(TEXT_TYPES):
        result["links"] = sorted(text_links(body, ctx))
    return _store(result, body, ctx)


def _store(result, body, ctx):
    if ctx["onion"]:
        body = body.replace(ctx["site_url"].encode(), ctx["onion_url"].encode())
    result["written"] = write_if_changed(ctx["tmpdir"], result["file"], body)
    result["sha256"] = hashlib.sha256(body).hexdigest()
    result["size"] = len(body)
    return result


def _init_worker(ctx):
    global _CTX, _CLIENT
    # Ctrl-C goes to the whole process group: the parent alone handles it and stops
    # the workers (Exporter.close_pool), instead of each worker dying mid-task and
    # the parent waiting forever to join them.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _classify_path.cache_clear()
    _CTX = ctx
    _CLIENT = None
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ctx["host"].split(":")[0]]


def _render_batch(args):
    paths, nonhtml = args
    _CTX["nonhtml"].update(nonhtml)
    out = []
    for path in paths:
        for attempt in range(3):
            try:
                out.append(render_one(path))
                break
            except Exception as exc:  # noqa: BLE001 - retried, then reported by path
                if attempt == 2:
                    out.append({"path": path, "status": "error", "error": repr(exc)})
                else:
                    time.sleep(0.2 * (attempt + 1))
    return out


# --- the exporter --------------------------------------------------------------


class Exporter:
    def __init__(self, options):
        self.options = options
        self.outdir = Path(options.outdir).resolve()
        self.summary = Summary(mode="incremental" if options.incremental else "full")
        self.log = options.log or (lambda message: None)
        self.pool = None
        self.progress_bar = None

    @property
    def state_path(self):
        return self.outdir.parent / f".{self.outdir.name}.export-state.json.gz"

    # -- checks ------------------------------------------------------------
    def check_outdir(self):
        out = self.outdir
        if out.exists() and not out.is_dir():
            raise ExportError(f"{out} exists and is not a folder")
        if out.is_dir() and any(out.iterdir()):
            if not (out / manifest_mod.MANIFEST_NAME).exists() and not self.options.force:
                raise ExportError(
                    f"{out} is not empty and holds no previous export "
                    f"({manifest_mod.MANIFEST_NAME} is missing); nothing was changed. "
                    "Use --force to replace its contents."
                )
        parent = out.parent
        if not parent.is_dir():
            raise ExportError(f"the parent folder {parent} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ExportError(f"cannot write in {parent} (permission denied)")

    def jobs(self):
        jobs = self.options.jobs or os.cpu_count() or 1
        name = str(connection.settings_dict.get("NAME") or "")
        in_memory = connection.vendor == "sqlite" and (
            name in ("", ":memory:") or "mode=memory" in name)
        if jobs > 1 and (in_memory or connection.in_atomic_block):
            self.log("Rendering in one process: the database is not shareable with workers.")
            jobs = 1
        return jobs

    # -- main ----------------------------------------------------------------
    def run(self):
        started = time.monotonic()
        try:
            key = load_secret_key()
        except SigningError as exc:
            raise ExportError(str(exc)) from exc
        self.check_outdir()
        lock_path = self.outdir.parent / f".{self.outdir.name}.lock"
        try:
            lock = open(lock_path, "w")  # noqa: SIM115 - held for the whole run
        except OSError as exc:
            raise ExportError(f"cannot write in {self.outdir.parent}: {exc}") from exc
        with lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                raise ExportError(f"another export into {self.outdir} is running") from exc
            # Leftovers of a run that was killed: we hold the lock, nobody uses them.
            for stale in self.outdir.parent.glob(f".{self.outdir.name}.tmp-*"):
                shutil.rmtree(stale, ignore_errors=True)
            for stale in self.outdir.parent.glob(f".{self.outdir.name}.old-*"):
                shutil.rmtree(stale, ignore_errors=True)
            try:
                tmpdir = Path(tempfile.mkdtemp(prefix=f".{self.outdir.name}.tmp-",
                                               dir=self.outdir.parent))
            except OSError as exc:
                raise ExportError(f"cannot write in {self.outdir.parent}: {exc}") from exc
            try:
                os.chmod(tmpdir, 0o755)
                self._run(tmpdir, key)
                self.swap(tmpdir)
            except OSError as exc:  # a full disk, a read-only folder: one clear line
                self.close_pool(terminate=True)
                shutil.rmtree(tmpdir, ignore_errors=True)
                raise ExportError(
                    f"writing the export failed ({exc.strerror or exc}"
                    f"{': ' + str(exc.filename) if exc.filename else ''}); nothing was "
                    "signed and the previous export is kept") from exc
            except BaseException:
                self.close_pool(terminate=True)  # Ctrl-C: stop the workers now
                shutil.rmtree(tmpdir, ignore_errors=True)
                raise
            finally:
                self.close_pool()
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _run(self, tmpdir, key):
        urlset.clear_caches()
        _classify_path.cache_clear()
        state = self.load_state() if self.options.incremental else None
        if self.options.incremental and state is None:
            self.log("No usable state from a previous export: exporting everything.")
            self.summary.mode = "full"
        previous = self.outdir if state is not None else None
        ctx = build_context(self.options, tmpdir, previous)
        global _CTX
        _CTX = ctx
        # Render the truth: no page cache (it is not purged by every kind of change).
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS,
                                              ctx["host"].split(":")[0]],
                               SAMIZDAT_PAGE_CACHE=False):
            snapshot = take_snapshot()
            if state is not None and state.get("options") != self.state_options(ctx):
                self.log("Export options changed: re-rendering everything.")
                state = None
            if state is not None:
                self.link_previous(tmpdir)
            self.records = {}
            seeds = self.seeds(snapshot)
            if state is None:
                self.crawl(sorted(seeds))
            else:
                self.incremental(state, snapshot, seeds)
            self.fix_assumptions()
            keep = self.reachable(seeds)
            self.copy_assets(tmpdir, keep, state)
            self.copy_rotations(tmpdir)
            self.prune(tmpdir, keep)
            self.refuse_failures()
            entries = self.entries(tmpdir)
            manifest_mod.write_signed(tmpdir, entries, ctx["site_url"] if not ctx["onion"]
                                      else ctx["onion_url"], key)
            self.summary.files = len(entries)
            self.summary.urls = len(keep)
            self.new_state = {
                "version": STATE_VERSION,
                "options": self.state_options(ctx),
                "snapshot": snapshot,
                "pages": {p: self.records[p] for p in sorted(keep)},
                "nonhtml": dict(sorted(ctx["nonhtml"].items())),
            }

    def state_options(self, ctx):
        return {"site_url": ctx["site_url"], "onion": ctx["onion"],
                "onion_url": ctx["onion_url"], "donation_origin": ctx["donation_origin"],
                "static_url": ctx["static_url"], "media_url": ctx["media_url"]}

    def seeds(self, snapshot):
        seeds = {info["path"] for info in snapshot["pages"].values()}
        seeds |= urlset.news_route_paths()
        seeds |= urlset.fixed_endpoint_paths()
        seeds |= urlset.app_export_paths()
        return {s for s in seeds if classify(s, "/").kind == "page"}

    def refuse_failures(self):
        """A page that failed to render or write fails the whole export: nothing is
        signed and the previous export stays (a half mirror signed as whole is worse
        than a day-old one)."""
        failures = self.summary.failures
        if failures:
            more = f" (and {len(failures) - 3} more)" if len(failures) > 3 else ""
            raise ExportError(
                f"{len(failures)} page(s) failed, so nothing was signed and the previous "
                f"export is kept: {'; '.join(failures[:3])}{more}")

    # -- rendering -------------------------------------------------------------
    def ensure_pool(self, jobs):
        if self.pool is None and jobs > 1:
            connections.close_all()
            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(jobs, initializer=_init_worker, initargs=(_CTX,))
        return self.pool

    def close_pool(self, terminate=False):
        if self.pool is not None:
            if terminate:
                self.pool.terminate()
            else:
                self.pool.close()
            self.pool.join()
            self.pool = None
        if self.progress_bar is not None:
            self.progress_bar.close()
            self.progress_bar = None

    def progress(self, add_total=0, done=0):
        show = self.options.progress
        if show is None:
            show = sys.stderr.isatty()
        if not show:
            return
        if self.progress_bar is None:
            from tqdm import tqdm

            self.progress_bar = tqdm(total=0, unit="url", desc="export", file=sys.stderr)
        if add_total:
            self.progress_bar.total += add_total
            self.progress_bar.refresh()
        if done:
            self.progress_bar.update(done)

    def render(self, paths):
        """Render paths (sorted); record results; return the new links found."""
        paths = sorted(set(paths))
        if not paths:
            return set()
        self.progress(add_total=len(paths))
        jobs = self.jobs()
        pool = self.ensure_pool(jobs)
        nonhtml = dict(_CTX["nonhtml"])
        if pool is None:
            iterator = (_render_batch(([path], nonhtml)) for path in paths)
        else:
            size = max(1, min(32, len(paths) // (jobs * 4) or 1))
            batches = [(paths[i:i + size], nonhtml) for i in range(0, len(paths), size)]
            iterator = pool.imap_unordered(_render_batch, batches)
        found = set()
        for batch in iterator:
            for result in batch:
                self.record(result)
                found.update(result.get("links", ()))
            self.progress(done=len(batch))
        return found

    def record(self, result):
        path = result["path"]
        self.summary.rendered += 1
        if result["status"] == "error":
            self.summary.failures.append(f"{path}: {result['error']}")
            self.records.pop(path, None)
            return
        if isinstance(result["status"], int) and result["status"] >= 500:
            self.summary.failures.append(f"{path}: the page answered {result['status']}")
        if result["status"] != 200:
            self.records[path] = {"status": result["status"]}
            return
        if path.endswith("/") and extension_for(result["type"]) != "html":
            _CTX["nonhtml"][path] = extension_for(result["type"])
        if result["written"]:
            self.summary.written += 1
            self.summary.written_files.append(result["file"])
        self.records[path] = {
            "status": 200,
            "type": result["type"],
            "file": result["file"],
            "links": result["links"],
            "assets": result["assets"],
            "assumed": result["assumed"],
            "sha256": result["sha256"],
            "size": result["size"],
        }

    def crawl(self, start):
        # App endpoints first: once feeds are known, pages link to them right.
        endpoints = {p for p in start if not urlset.is_wagtail_page(p)}
        pending = set(start) - endpoints
        found = self.render(endpoints)
        pending |= {p for p in found if p not in self.records}
        while pending:
            found = self.render(pending)
            pending = {p for p in found if p not in self.records}

    def fix_assumptions(self):
        """Pages rendered before a linked URL turned out to be a feed: render again."""
        for _round in range(3):
            nonhtml = _CTX["nonhtml"]
            stale = [p for p, r in self.records.items()
                     if r.get("status") == 200 and any(a in nonhtml for a in r.get("assumed", ()))]
            if not stale:
                return
            self.crawl_again(stale)

    def crawl_again(self, paths):
        found = self.render(paths)
        self.crawl({p for p in found if p not in self.records})

    def reachable(self, seeds):
        keep = set()
        queue = deque(sorted(s for s in seeds if self.records.get(s, {}).get("status") == 200))
        keep.update(queue)
        while queue:
            path = queue.popleft()
            for link in self.records[path].get("links", ()):
                if link not in keep and self.records.get(link, {}).get("status") == 200:
                    keep.add(link)
                    queue.append(link)
        broken = sorted({
            (link, path) for path in keep for link in self.records[path].get("links", ())
            if self.records.get(link, {}).get("status") not in (200, "server")
        })
        for link, path in broken:
            status = self.records.get(link, {}).get("status", "not rendered")
            self.summary.problems.append(f"{link}: {status}, linked from {path}")
        return keep

    # -- incremental -----------------------------------------------------------
    def load_state(self):
        if not (self.outdir / manifest_mod.MANIFEST_NAME).exists():
            return None
        try:
            with gzip.open(self.state_path, "rt", encoding="utf-8") as handle:
                state = json.load(handle)
        except (OSError, ValueError, EOFError):
            return None
        if state.get("version") != STATE_VERSION:
            return None
        return state

    def link_previous(self, tmpdir):
        """Hard-link the previous export into the new folder (copy across devices)."""
        for rel in manifest_mod.walk_files(self.outdir):
            target = tmpdir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(self.outdir / rel, target)
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                    raise
                shutil.copy2(self.outdir / rel, target)

    def incremental(self, state, snapshot, seeds):
        old_pages = state["pages"]
        _CTX["nonhtml"].update(state.get("nonhtml", {}))
        if state["snapshot"]["globals"] != snapshot["globals"]:
            self.log("Site-wide data changed: re-rendering every page.")
            self.records = {}
            self.crawl(sorted(seeds | set(old_pages)))
            return
        # Start from the previous results; re-render what the change can touch.
        self.records = {p: dict(r) for p, r in old_pages.items()}
        affected = affected_urls(state, snapshot, seeds)
        self.log(f"Incremental: {len(affected)} of {len(old_pages)} URLs to render.")
        for path in affected:
            self.records.pop(path, None)
        new = {s for s in seeds if s not in self.records}
        self.crawl(sorted(affected | new))

    # -- files -----------------------------------------------------------------
    def copy_assets(self, tmpdir, keep, state):
        wanted = set()
        for path in keep:
            wanted.update(self.records[path].get("assets", ()))
        done = {}
        queue = sorted(wanted)
        while queue:
            path = queue.pop()
            if path in done:
                continue
            source = self.asset_source(path)
            if source is None:
                self.summary.problems.append(f"{path}: asset not found")
                done[path] = None
                continue
            rel = file_for(path)
            if rel.endswith(".css"):
                text, more = rewrite_css(Path(source).read_text("utf-8"), path,
                                         lambda u, b: classify(u, b), lambda p: file_of(p))
                data = text.encode("utf-8")
                queue.extend(sorted(more - done.keys()))
                written = write_if_changed(tmpdir, rel, data)
            else:
                written = self.copy_file(source, tmpdir / rel)
            if written:
                self.summary.written += 1
                self.summary.written_files.append(rel)
            done[path] = rel
        self.assets = {p: r for p, r in done.items() if r}
        self.summary.assets = len(self.assets)

    @staticmethod
    def copy_file(source, target):
        try:
            if target.exists() and filecmp.cmp(source, target, shallow=False):
                return False
        except NotADirectoryError as exc:
            raise ExportError(f"{target}: a file stands where a folder is needed") from exc
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            target.unlink()
        shutil.copyfile(source, target)
        os.chmod(target, 0o644)
        return True

    def asset_source(self, path):
        rel = unquote(path)
        static_url = unquote(_CTX["static_url"])
        media_url = unquote(_CTX["media_url"])
        if rel.startswith(static_url):
            name = rel[len(static_url):]
            with contextlib.suppress(NotImplementedError, ValueError, OSError):
                candidate = staticfiles_storage.path(name)
                if os.path.isfile(candidate):
                    return candidate
            found = finders.find(name)
            return found if isinstance(found, str) else None
        if rel.startswith(media_url):
            candidate = Path(settings.MEDIA_ROOT) / rel[len(media_url):]
            if candidate.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve()) and \
                    candidate.is_file():
                return str(candidate)
        return None

    def copy_rotations(self, tmpdir):
        source = Path(getattr(settings, "SAMIZDAT_MIRROR_KEY_ROTATIONS_DIR", "") or "")
        if not source.is_dir():
            return
        for item in sorted(source.iterdir()):
            if item.is_file():
                rel = f".well-known/samizdat-key-rotations/{item.name}"
                if write_if_changed(tmpdir, rel, item.read_bytes()):
                    self.summary.written += 1
                self.rotations = getattr(self, "rotations", set()) | {rel}

    def prune(self, tmpdir, keep):
        """Remove files no URL or asset needs any more (after an incremental run)."""
        wanted = {self.records[p]["file"] for p in keep}
        wanted |= set(self.assets.values())
        wanted |= getattr(self, "rotations", set())
        for rel in manifest_mod.walk_files(tmpdir):
            if rel in manifest_mod.UNLISTED or rel in wanted:
                continue
            (tmpdir / rel).unlink()
            self.summary.removed += 1
        for directory, dirs, files in sorted(os.walk(tmpdir, topdown=False)):
            if directory != str(tmpdir) and not dirs and not files:
                with contextlib.suppress(OSError):
                    os.rmdir(directory)

    def entries(self, tmpdir):
        known = {}
        for record in self.records.values():
            if record.get("status") == 200 and record.get("sha256"):
                known[record["file"]] = manifest_mod.Entry(
                    record["file"], record["size"], record["sha256"])
        return manifest_mod.entries_for(tmpdir, known)

    def swap(self, tmpdir):
        out = self.outdir
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            os.rmdir(old)
            os.rename(out, old)
        os.rename(tmpdir, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        data = json.dumps(self.new_state, sort_keys=True, separators=(",", ":")).encode()
        with gzip.GzipFile(self.state_path, "wb", mtime=0) as handle:
            handle.write(data)


# --- what changed ------------------------------------------------------------------


def take_snapshot():
    """The data pages are built from: per page, and a fingerprint of site-wide data."""
    from wagtail.models import Page

    paths = urlset.page_paths()
    pages = {}
    rows = Page.objects.filter(pk__in=list(paths)).values_list(
        "pk", "live_revision_id", "last_published_at", "first_published_at", "path", "depth",
        "locale_id", "content_type_id")
    tags, authors = {}, {}
    with contextlib.suppress(ImportError):
        from samizdat.news.models import ArticleAuthor, ArticleTag

        for page_id, slug in ArticleTag.objects.values_list("content_object_id", "tag__slug"):
            tags.setdefault(page_id, []).append(slug)
        for page_id, slug in ArticleAuthor.objects.order_by("sort_order", "pk").values_list(
                "page_id", "author__slug"):
            authors.setdefault(page_id, []).append(slug)
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
            "tags": sorted(tags.get(pk, [])),
            "authors": authors.get(pk, []),
        }
    return {"pages": pages, "globals": globals_fingerprint()}


def globals_fingerprint():
    """A hash of site-wide data every page shows (names, menus, settings, code)."""
    from django.apps import apps
    from wagtail.models import Locale, Site

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
    from .mirrorlist import onion_url

    add([settings.SITE_URL, getattr(settings, "SAMIZDAT_DONATION_ORIGIN", ""), onion_url()])
    # Templates and static files: new code re-renders everything.
    for directory in _code_dirs():
        for root, _dirs, files in sorted(os.walk(directory)):
            for name in sorted(files):
                if name.endswith((".html", ".css", ".js", ".txt", ".xml", ".py", ".mo")):
                    stat = os.stat(os.path.join(root, name))
                    add((os.path.join(root, name), stat.st_size, stat.st_mtime_ns))
    return digest.hexdigest()


def _code_dirs():
    base = Path(settings.BASE_DIR) / "samizdat"
    return [str(base)]


def affected_urls(state, snapshot, seeds):
    """URLs whose output a change between two snapshots can alter."""
    old, new = state["snapshot"]["pages"], snapshot["pages"]
    pages = state["pages"]
    changed = sorted(pid for pid in set(old) | set(new) if old.get(pid) != new.get(pid))
    inbound = {}
    for path, record in pages.items():
        for link in record.get("links", ()):
            inbound.setdefault(link, set()).add(path)
    page_paths = {info["path"] for info in new.values()} | {info["path"] for info in old.values()}
    affected = set()
    # App endpoints (feeds, sitemaps, JSON, the mirrors page) and home pages: always.
    for path in set(pages) | seeds:
        if not urlset.is_wagtail_page(path):
            affected.add(path)
    for info in new.values():
        if len(info["tree"]) == 8:  # depth 2: the home page of a language
            affected.add(info["path"])

    def own_urls(base):
        found = {base}
        for path in pages:
            if path.startswith(base) and _owner(path, page_paths) == base:
                found.add(path)
        return found

    by_parent, by_tag = {}, {}
    for pid, info in new.items():
        by_parent.setdefault(info["parent"], set()).add(pid)
        for tag in info["tags"]:
            by_tag.setdefault((info["locale"], tag), set()).add(pid)
    homes = {info["locale"]: info["path"] for info in new.values() if len(info["tree"]) == 8}
    homes.update({info["locale"]: info["path"] for info in old.values()
                  if len(info["tree"]) == 8 and info["locale"] not in homes})
    for pid in changed:
        versions = [v for v in (old.get(pid), new.get(pid)) if v]
        for info in versions:
            for url in own_urls(info["path"]):
                affected.add(url)
                affected |= inbound.get(url, set())
        membership = {(v["path"], v["first"], tuple(v["tags"]), tuple(v["authors"]), v["parent"])
                      for v in versions}
        if len(versions) == 2 and len(membership) == 1:
            continue
        # Joined or left lists: its section, tag and author listings, "Read more" of others.
        for info in versions:
            home = homes.get(info["locale"], "/")
            prefixes = [home + f"tags/{t}/" for t in info["tags"]]
            prefixes += [home + f"authors/{a}/" for a in info["authors"]]
            parent = next((v["path"] for v in new.values() if v["tree"] == info["parent"]), None)
            if parent:
                prefixes.append(parent)
            for prefix in prefixes:
                prefix = urlset.normalize(prefix)
                affected.add(prefix)
                affected |= {p for p in pages if p.startswith(prefix + "page/")}
            neighbours = set(by_parent.get(info["parent"], ()))
            for tag in info["tags"]:
                neighbours |= by_tag.get((info["locale"], tag), set())
            affected |= {new[n]["path"] for n in neighbours if n in new}
    return {p for p in affected if classify(p, "/").kind == "page"}


def _owner(path, page_paths):
    """The deepest page whose URL is a prefix of path (routes belong to it)."""
    candidate = path
    while candidate:
        if candidate in page_paths:
            return candidate
        candidate = candidate[: candidate.rstrip("/").rfind("/") + 1] if candidate != "/" else ""
    return ""


def export_site(outdir, **kwargs):
    """Run an export; returns a Summary. Raises ExportError with a clear message."""
    return Exporter(Options(outdir=Path(outdir), **kwargs)).run()
