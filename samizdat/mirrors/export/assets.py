"""Static files and media the kept pages use (CSS rewritten to relative URLs),
and the key-rotation statements every export carries."""

import contextlib
import os
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage

from ..rewrite import file_for, rewrite_css
from .files import copy_file, write_if_changed

ROTATIONS = ".well-known/samizdat-key-rotations"


def asset_source(path, ctx):
    """The file on disk behind a static or media path, or None."""
    rel = unquote(path)
    static_url = unquote(ctx.static_url)
    media_url = unquote(ctx.media_url)
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


def copy_assets(renderer, tmpdir, wanted, summary):
    """Copy the assets in `wanted` and those their CSS uses; {path: file} of the found."""
    done = {}
    queue = sorted(wanted)
    while queue:
        path = queue.pop()
        if path in done:
            continue
        source = asset_source(path, renderer.ctx)
        if source is None:
            summary.problems.append(f"{path}: asset not found")
            done[path] = None
            continue
        rel = file_for(path)
        if rel.endswith(".css"):
            text, more = rewrite_css(Path(source).read_text("utf-8"), path, renderer.classify,
                                     lambda p: renderer.file_of(p))
            queue.extend(sorted(more - done.keys()))
            written = write_if_changed(tmpdir, rel, text.encode("utf-8"))
        else:
            written = copy_file(source, tmpdir / rel)
        if written:
            summary.written += 1
            summary.written_files.append(rel)
        done[path] = rel
    return {p: r for p, r in done.items() if r}


def copy_rotations(tmpdir, summary):
    """The key-rotation statements of SAMIZDAT_MIRROR_KEY_ROTATIONS_DIR; their files."""
    source = Path(getattr(settings, "SAMIZDAT_MIRROR_KEY_ROTATIONS_DIR", "") or "")
    files = set()
    if not source.is_dir():
        return files
    for item in sorted(source.iterdir()):
        if item.is_file():
            rel = f"{ROTATIONS}/{item.name}"
            if write_if_changed(tmpdir, rel, item.read_bytes()):
                summary.written += 1
            files.add(rel)
    return files
