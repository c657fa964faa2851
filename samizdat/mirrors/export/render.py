"""Rendering one URL into one file: the site's own request handling, then rewriting.

A `Renderer` holds the export's context and what it learned about which
directory URLs are not HTML (`nonhtml`: feeds become index.xml). The parent
process renders with its own; each worker process gets the context in the
pool initializer (`Worker.start`) and keeps one `Renderer` for its lifetime.

Pages are rendered by `DirectHandler`: Django's handler (URL resolver, views,
templates, the middleware that can change a body) called in-process with a
request built once per URL, instead of the test client (`client=True` keeps that
path, for comparison: tests/mirrors/test_render_paths.py renders every page
type both ways and compares the bytes). While a renderer works, each app's
`SiteUrls.bulk_render()` may serve what many pages read from data fetched once.
"""

import contextlib
import gc
import hashlib
import multiprocessing
import re
import signal
import sys
import time
from collections import deque
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.test import Client, RequestFactory
from django.urls import set_urlconf

from samizdat.core import bulk

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


# Middleware that only adds response headers (a static file carries none) or
# acts for signed-in staff and the admin (never exported): the direct path skips
# them. Everything that can change a body, a redirect or a cookie stays.
HEADER_ONLY_MIDDLEWARE = frozenset({
    "django.middleware.security.SecurityMiddleware",
    "samizdat.security.middleware.SamizdatCSPMiddleware",
    "samizdat.security.middleware.PermissionsPolicyMiddleware",
    "samizdat.mirrors.middleware.OnionLocationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "samizdat.users.middleware.AdminTwoFactorMiddleware",
    "samizdat.users.grants.CurrentActorMiddleware",
    "axes.middleware.AxesMiddleware",
})


class DirectHandler(BaseHandler):
    """Django's handler called in-process: the same resolver, views and templates as a
    reader's request, without the test client's per-request work (its signals, cookie
    jar, request copies) and without header-only middleware."""

    def __init__(self):
        super().__init__()
        self.factory = RequestFactory()
        wanted = [m for m in settings.MIDDLEWARE if m not in HEADER_ONLY_MIDDLEWARE]
        from django.test.utils import override_settings

        with override_settings(MIDDLEWARE=wanted):
            self.load_middleware()

    def get(self, path, host, secure):
        request = self.factory.get(path, HTTP_HOST=host, secure=secure)
        set_urlconf(settings.ROOT_URLCONF)
        return self.get_response(request)


class ClientHandler:
    """Django's test client: the reference path (what the export did before)."""

    def __init__(self):
        self.client = Client(raise_request_exception=False)

    def get(self, path, host, secure):
        self.client.cookies.clear()
        return self.client.get(path, HTTP_HOST=host, secure=secure)


class Renderer:
    def __init__(self, ctx, nonhtml=None, client=None):
        self.ctx = ctx
        self.nonhtml = {} if nonhtml is None else nonhtml
        self.use_client = ctx.test_client if client is None else client
        self._handler = None

    @property
    def handler(self):
        if self._handler is None:
            self._handler = ClientHandler() if self.use_client else DirectHandler()
        return self._handler

    def classify(self, url, base_path):
        return classify(url, base_path, self.ctx)

    def file_of(self, path, assumed=None):
        return file_of(path, self.ctx, self.nonhtml, assumed)

    def rewriter(self, path, page_file, options, assumed):
        return PageRewriter(self.classify, lambda p: self.file_of(p, assumed), path, page_file,
                            options)

    def render_one(self, path):
        ctx = self.ctx
        response = self.handler.get(unquote(path), ctx.host, ctx.scheme == "https")
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


@contextlib.contextmanager
def rendering():
    """Each app's bulk loader (`SiteUrls.bulk_render`) active while pages render."""
    with contextlib.ExitStack() as stack:
        for urls in urlset.declarations():
            stack.enter_context(urls.bulk_render())
        yield


class Worker:
    """The one renderer of a worker process, made by the pool initializer."""

    renderer = None
    bulk = None

    @classmethod
    def start(cls, ctx, nonhtml=None):
        # Ctrl-C goes to the whole process group: the parent alone handles it and stops
        # the workers (RenderPool.close), instead of each worker dying mid-task and
        # the parent waiting forever to join them.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, ctx.hostname]
        cls.renderer = Renderer(ctx, dict(nonhtml or {}))
        # Forked from a parent that renders inside `rendering()`: its bulk stores, already
        # filled, its compiled templates and imported modules are this process's too
        # (shared memory pages until written). Only a worker started otherwise fetches
        # its own. Kept open for the worker's life: the pool ends the process.
        cls.bulk = contextlib.ExitStack()
        if not bulk.any_active():
            classify_path.cache_clear()
            cls.bulk.enter_context(rendering())

    @classmethod
    def render_batch(cls, batch):
        paths, nonhtml = batch
        return cls.renderer.render_batch(paths, nonhtml)


class RenderPool:
    """Renders batches of paths: this process renders too, with `local`, and with
    several jobs `jobs - 1` worker processes render beside it (two jobs: the parent and
    one worker, so two copies of the site in memory, not three); shows progress on a
    terminal.

    The workers are forked once this process has rendered its first batch: the modules,
    templates and bulk stores that rendering loaded are then theirs without loading
    them again."""

    def __init__(self, ctx, local, jobs, progress=None):
        self.ctx = ctx
        self.local = local
        self.jobs = jobs
        self.show_progress = sys.stderr.isatty() if progress is None else progress
        self.pool = None
        self.progress_bar = None
        self.warm = False
        self.frozen = False

    def _pool(self):
        if self.pool is None and self.jobs > 1:
            bulk.warm_all()
            connections.close_all()
            # What both processes hold stays shared: the collector would otherwise write
            # into every object on its rounds, and each write copies a page (measured at
            # 10,000 articles: 60 MB less over the two). Unfrozen when the workers end, as
            # the export may run in a long-lived task worker.
            gc.collect()
            gc.freeze()
            self.frozen = True
            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(self.jobs - 1, initializer=Worker.start,
                                     initargs=(self.ctx, self.local.nonhtml))
        return self.pool

    def close(self, terminate=False):
        if self.pool is not None:
            if terminate:
                self.pool.terminate()
            else:
                self.pool.close()
            self.pool.join()
            self.pool = None
        if self.frozen:
            gc.unfreeze()
            self.frozen = False
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
        nonhtml = dict(self.local.nonhtml)
        if self.jobs <= 1:
            for path in paths:
                batch = self.local.render_batch([path], nonhtml)
                yield from batch
                self.progress(done=len(batch))
            return
        size = max(1, min(32, len(paths) // (self.jobs * 4) or 1))
        chunks = deque(paths[i:i + size] for i in range(0, len(paths), size))
        if not self.warm and chunks:
            # The first batch here, before the workers exist (see the class).
            batch = self.local.render_batch(chunks.popleft(), nonhtml)
            self.warm = True
            yield from batch
            self.progress(done=len(batch))
        if not chunks:
            return
        pool = self._pool()
        workers = self.jobs - 1
        pending = deque()
        while chunks or pending:
            # Keep every worker two batches ahead, so none waits while this process renders.
            while chunks and len(pending) < 2 * workers:
                pending.append(pool.apply_async(Worker.render_batch,
                                                ((chunks.popleft(), nonhtml),)))
            while pending and pending[0].ready():
                batch = pending.popleft().get()
                yield from batch
                self.progress(done=len(batch))
            if chunks:
                batch = self.local.render_batch(chunks.popleft(), nonhtml)
                yield from batch
                self.progress(done=len(batch))
            elif pending:
                pending[0].wait(0.05)
