"""Rendering one URL into one file: Django's test client, then rewriting.

A `Renderer` holds the export's context and what it learned about which
directory URLs are not HTML (`nonhtml`: feeds become index.xml). The parent
process renders with its own; each worker process gets the context in the
pool initializer (`start_worker`) and keeps one `Renderer` for its lifetime.
"""

import hashlib
import multiprocessing
import re
import signal
import sys
import time
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import connections
from django.test import Client

from .. import urlset
from ..rewrite import PageRewriter, Target, file_for, mirror_note
from .files import write_if_changed

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
REDIRECTS = (301, 302, 303, 307, 308)


def extension_for(content_type):
    return EXTENSIONS.get(content_type, "html" if content_type.startswith("text/html") else "bin")


def classify(url, base_path, ctx):
    """What a link found on the page at base_path is: a page, an asset, or else."""
    url = url.strip()
    if not url or url.startswith("#"):
        return Target("keep")
    if url.startswith("/") and not url.startswith("//"):
        path, _sep, rest = url.partition("?")
        path = path.partition("#")[0]
        return classify_path(path, rest.partition("#")[0] if _sep else "", ctx)
    parts = urlsplit(url)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return Target("keep")
    if parts.netloc:
        if parts.netloc.lower() != ctx.host.lower():
            return Target("external")
        path = parts.path or "/"
    elif parts.path:
        path = urlset.join(base_path, parts.path)
    else:
        path = base_path
    return classify_path(path, parts.query, ctx)


@lru_cache(maxsize=200_000)
def classify_path(path, query, ctx):
    path = urlset.normalize(path)
    if path.startswith((ctx.static_url, ctx.media_url)):
        return Target("asset", path)
    if urlset.is_excluded(path):
        return Target("drop")
    if urlset.is_donation(path):
        origin = ctx.donation_origin
        if not origin:
            return Target("drop")
        return Target("donation", url=origin + path + (f"?{query}" if query else ""))
    return Target("page", path)


def file_of(path, ctx, nonhtml, assumed=None):
    """The file a path is written to; `assumed` collects directory URLs taken for HTML."""
    if path.startswith((ctx.static_url, ctx.media_url)):
        return file_for(path)
    if path.endswith("/"):
        ext = nonhtml.get(path)
        if ext is None:
            if assumed is not None:
                assumed.add(path)
            ext = "html"
        return file_for(path, ext)
    return file_for(path)


def text_links(body, ctx):
    """Same-origin absolute URLs inside feeds, sitemaps and JSON: more to crawl."""
    pattern = re.compile(re.escape(ctx.site_url).encode() + rb"(/[^\s\"'<>\\]*)")
    found = set()
    for match in pattern.finditer(body):
        target = classify(match.group(1).decode("utf-8", "replace"), "/", ctx)
        if target.kind == "page":
            found.add(target.path)
    return found


class Renderer:
    def __init__(self, ctx, nonhtml=None):
        self.ctx = ctx
        self.nonhtml = {} if nonhtml is None else nonhtml
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = Client(raise_request_exception=False)
        return self._client

    def classify(self, url, base_path):
        return classify(url, base_path, self.ctx)

    def file_of(self, path, assumed=None):
        return file_of(path, self.ctx, self.nonhtml, assumed)

    def rewriter(self, path, page_file, options, assumed):
        return PageRewriter(self.classify, lambda p: self.file_of(p, assumed), path, page_file,
                            options)

    def render_one(self, path):
        ctx = self.ctx
        client = self.client
        client.cookies.clear()
        response = client.get(unquote(path), HTTP_HOST=ctx.host, secure=ctx.scheme == "https")
        result = {"path": path, "status": response.status_code, "type": "", "file": "",
                  "links": [], "assets": [], "assumed": [], "written": False,
                  "sha256": "", "size": 0}
        if response.status_code in REDIRECTS:
            return self.redirect(result, self.classify(response["Location"], path))
        if response.status_code != 200:
            return result
        if response.cookies:
            result["status"] = "server"  # it sets a cookie: a form that needs the server
            return result
        content_type = response.get("Content-Type", "text/html").split(";")[0].strip().lower()
        body = b"".join(response.streaming_content) if response.streaming else response.content
        result["type"] = content_type
        if path.endswith("/") and extension_for(content_type) != "html":
            self.nonhtml[path] = extension_for(content_type)
        assumed = set()
        page_file = file_for(path, extension_for(content_type)) if path.endswith("/") else \
            file_for(path)
        result["file"] = page_file
        if content_type in ("text/html", "application/xhtml+xml"):
            origin = ctx.donation_origin
            options = {
                "donation_origin": origin,
                "form_origins": [origin] if origin else [],
                "onion_url": ctx.onion_url,
                "onion": ctx.onion,
                "mirror_note": mirror_note(ctx.site_url, origin, ctx.onion),
                "drop_markers": [p.encode() for p in (*urlset.search_paths(),
                                                      *urlset.excluded_prefixes())],
            }
            rewritten = self.rewriter(path, page_file, options, assumed).rewrite(body)
            body = rewritten.body
            result["links"] = sorted(rewritten.links)
            result["assets"] = sorted(rewritten.assets)
            result["assumed"] = sorted(assumed)
        elif content_type.startswith(TEXT_TYPES):
            result["links"] = sorted(text_links(body, ctx))
        return self.store(result, body)

    def redirect(self, result, target):
        """A redirect inside the site becomes a page that refreshes to the target."""
        if target.kind != "page":
            result["status"] = "server"
            return result
        path = result["path"]
        assumed = set()
        page_file = self.file_of(path, assumed)
        rel = self.rewriter(path, page_file, {}, assumed).href(target.path)
        body = (
            '<!DOCTYPE html>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="refresh" content="0; url={rel}">\n'
            f'<meta name="referrer" content="no-referrer">\n<a href="{rel}">{rel}</a>\n'
        ).encode()
        result.update(status=200, type="text/html", file=page_file, links=[target.path],
                      assumed=sorted(assumed))
        return self.store(result, body)

    def store(self, result, body):
        ctx = self.ctx
        if ctx.onion:
            body = body.replace(ctx.site_url.encode(), ctx.onion_url.encode())
        result["written"] = write_if_changed(ctx.tmpdir, result["file"], body)
        result["sha256"] = hashlib.sha256(body).hexdigest()
        result["size"] = len(body)
        return result

    def render_batch(self, paths, nonhtml):
        """Render paths, retrying each twice; a page that still fails is reported."""
        self.nonhtml.update(nonhtml)
        out = []
        for path in paths:
            for attempt in range(3):
                try:
                    out.append(self.render_one(path))
                    break
                except Exception as exc:  # noqa: BLE001 - retried, then reported by path
                    if attempt == 2:
                        out.append({"path": path, "status": "error", "error": repr(exc)})
                    else:
                        time.sleep(0.2 * (attempt + 1))
        return out


class Worker:
    """The one renderer of a worker process, made by the pool initializer."""

    renderer = None

    @classmethod
    def start(cls, ctx):
        # Ctrl-C goes to the whole process group: the parent alone handles it and stops
        # the workers (RenderPool.close), instead of each worker dying mid-task and
        # the parent waiting forever to join them.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        classify_path.cache_clear()
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ctx.hostname]
        cls.renderer = Renderer(ctx)

    @classmethod
    def render_batch(cls, batch):
        paths, nonhtml = batch
        return cls.renderer.render_batch(paths, nonhtml)


class RenderPool:
    """Renders batches of paths: in worker processes when there are several jobs,
    else in this process with `local`; shows progress on a terminal."""

    def __init__(self, ctx, local, jobs, progress=None):
        self.ctx = ctx
        self.local = local
        self.jobs = jobs
        self.show_progress = sys.stderr.isatty() if progress is None else progress
        self.pool = None
        self.progress_bar = None

    def _pool(self):
        if self.pool is None and self.jobs > 1:
            connections.close_all()
            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(self.jobs, initializer=Worker.start, initargs=(self.ctx,))
        return self.pool

    def close(self, terminate=False):
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
        if not self.show_progress:
            return
        if self.progress_bar is None:
            from tqdm import tqdm

            self.progress_bar = tqdm(total=0, unit="url", desc="export", file=sys.stderr)
        if add_total:
            self.progress_bar.total += add_total
            self.progress_bar.refresh()
        if done:
            self.progress_bar.update(done)

    def results(self, paths):
        """Render sorted paths; yield each result as its batch comes back."""
        self.progress(add_total=len(paths))
        pool = self._pool()
        nonhtml = dict(self.local.nonhtml)
        if pool is None:
            batches = (self.local.render_batch([path], nonhtml) for path in paths)
        else:
            size = max(1, min(32, len(paths) // (self.jobs * 4) or 1))
            chunks = [(paths[i:i + size], nonhtml) for i in range(0, len(paths), size)]
            batches = pool.imap_unordered(Worker.render_batch, chunks)
        for batch in batches:
            yield from batch
            self.progress(done=len(batch))
