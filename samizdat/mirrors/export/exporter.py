"""One export run, start to finish: check OUTDIR, take the lock, render and
crawl (all of it, or what changed), copy assets, sign, swap into place."""

import os
import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.test.utils import override_settings

from .. import manifest as manifest_mod
from .. import urlset
from ..signing import SigningError, load_secret_key
from . import assets, files, incremental
from .context import ExportError, Options, Summary, build_context
from .graph import LinkGraph
from .render import Renderer, RenderPool, classify_path, rendering


class Exporter:
    def __init__(self, options):
        self.options = options
        self.outdir = Path(options.outdir).resolve()
        self.summary = Summary(mode="incremental" if options.incremental else "full")
        self.log = options.log or (lambda message: None)
        self.pool = None

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
        with files.exclusive_workspace(self.outdir) as tmpdir:
            try:
                state = self.build(tmpdir, key)
                files.swap(tmpdir, self.outdir)
                incremental.save_state(self.outdir, state)
            except OSError as exc:  # a full disk, a read-only folder: one clear line
                self.close_pool(terminate=True)
                raise ExportError(
                    f"writing the export failed ({exc.strerror or exc}"
                    f"{': ' + str(exc.filename) if exc.filename else ''}); nothing was "
                    "signed and the previous export is kept") from exc
            except BaseException:
                self.close_pool(terminate=True)  # Ctrl-C: stop the workers now
                raise
            finally:
                self.close_pool()
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def close_pool(self, terminate=False):
        if self.pool is not None:
            self.pool.close(terminate=terminate)

    def build(self, tmpdir, key):
        """Write and sign the export in tmpdir; return the state to keep beside it."""
        urlset.clear_caches()
        classify_path.cache_clear()
        options = self.options
        state = incremental.load_state(self.outdir) if options.incremental else None
        if options.incremental and state is None:
            self.log("No usable state from a previous export: exporting everything.")
            self.summary.mode = "full"
        ctx = build_context(options, tmpdir, self.outdir if state is not None else None)
        renderer = Renderer(ctx)
        self.pool = RenderPool(ctx, renderer, self.jobs(), options.progress)
        graph = LinkGraph(self.pool, renderer.nonhtml, self.summary)

        def is_page(path):
            return renderer.classify(path, "/").kind == "page"

        # Render the truth: no page cache (it is not purged by every kind of change).
        with override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, ctx.hostname],
                               SAMIZDAT_PAGE_CACHE=False), rendering():
            snapshot = incremental.take_snapshot()
            if state is not None and state.get("options") != ctx.state_options():
                self.log("Export options changed: re-rendering everything.")
                state = None
            if state is not None:
                files.link_previous(self.outdir, tmpdir)
            seeds = self.seeds(snapshot, is_page)
            if state is None:
                graph.crawl(sorted(seeds))
            else:
                incremental.update(graph, state, snapshot, seeds, is_page, self.log)
            graph.fix_assumptions()
            # Everything is rendered: end the workers before the parent's own work
            # below (the reachable set, the manifest, the state), which would otherwise
            # add its memory to theirs.
            self.close_pool()
            keep = graph.reachable(seeds)
            records = graph.records
            wanted = {a for path in keep for a in records[path].get("assets", ())}
            copied = assets.copy_assets(renderer, tmpdir, wanted, self.summary)
            self.summary.assets = len(copied)
            rotations = assets.copy_rotations(tmpdir, self.summary)
            self.summary.removed += files.remove_unwanted(
                tmpdir, {records[p]["file"] for p in keep} | set(copied.values()) | rotations)
            self.refuse_failures()
            entries = self.entries(tmpdir, records)
            manifest_mod.write_signed(tmpdir, entries, ctx.published_url, key)
            self.summary.files = len(entries)
            self.summary.urls = len(keep)
            return {
                "version": incremental.STATE_VERSION,
                "options": ctx.state_options(),
                "snapshot": snapshot,
                "pages": {p: records[p] for p in sorted(keep)},
                "nonhtml": dict(sorted(renderer.nonhtml.items())),
            }

    def seeds(self, snapshot, is_page):
        seeds = {info["path"] for info in snapshot["pages"].values()}
        seeds |= urlset.fixed_endpoint_paths()
        seeds |= urlset.app_export_paths()
        return {s for s in seeds if is_page(s)}

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

    @staticmethod
    def entries(tmpdir, records):
        known = {}
        for record in records.values():
            if record.get("status") == 200 and record.get("sha256"):
                known[record["file"]] = manifest_mod.Entry(
                    record["file"], record["size"], record["sha256"])
        return manifest_mod.entries_for(tmpdir, known)


def export_site(outdir, **kwargs):
    """Run an export; returns a Summary. Raises ExportError with a clear message."""
    return Exporter(Options(outdir=Path(outdir), **kwargs)).run()
