"""Files of an export: written whole or not at all, the new folder swapped in
only when complete, unchanged files hard-linked from the previous export."""

import contextlib
import errno
import fcntl
import filecmp
import os
import shutil
import tempfile
from pathlib import Path

from .. import manifest as manifest_mod
from .context import ExportError


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


def copy_file(source, target):
    """Copy source to target unless it holds the same bytes; True when copied."""
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


def link_previous(outdir, tmpdir):
    """Hard-link the previous export into the new folder (copy across devices)."""
    for rel in manifest_mod.walk_files(outdir):
        target = tmpdir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(outdir / rel, target)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise
            shutil.copy2(outdir / rel, target)


def remove_unwanted(tmpdir, wanted):
    """Delete files not in `wanted` (and folders left empty); returns how many."""
    removed = 0
    for rel in manifest_mod.walk_files(tmpdir):
        if rel in manifest_mod.UNLISTED or rel in wanted:
            continue
        (tmpdir / rel).unlink()
        removed += 1
    for directory, dirs, files in sorted(os.walk(tmpdir, topdown=False)):
        if directory != str(tmpdir) and not dirs and not files:
            with contextlib.suppress(OSError):
                os.rmdir(directory)
    return removed


def swap(tmpdir, outdir):
    """Put the finished folder where OUTDIR is, then remove the old one."""
    old = None
    if outdir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.old-", dir=outdir.parent))
        os.rmdir(old)
        os.rename(outdir, old)
    os.rename(tmpdir, outdir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def exclusive_workspace(outdir):
    """Hold OUTDIR's lock and yield a fresh temporary folder beside it.

    Leftovers of a killed run are removed first (the lock says nobody uses
    them); the temporary folder is removed unless it was swapped in.
    """
    lock_path = outdir.parent / f".{outdir.name}.lock"
    try:
        lock = open(lock_path, "w")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise ExportError(f"cannot write in {outdir.parent}: {exc}") from exc
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise ExportError(f"another export into {outdir} is running") from exc
        for stale in outdir.parent.glob(f".{outdir.name}.tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)
        for stale in outdir.parent.glob(f".{outdir.name}.old-*"):
            shutil.rmtree(stale, ignore_errors=True)
        try:
            tmpdir = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-", dir=outdir.parent))
        except OSError as exc:
            raise ExportError(f"cannot write in {outdir.parent}: {exc}") from exc
        try:
            os.chmod(tmpdir, 0o755)
            yield tmpdir
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
