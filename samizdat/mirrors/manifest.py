"""The manifest: every file of an export with its size and SHA-256.

One line per file, sorted by path, so that two exports of the same content
give the same bytes (and the same signature). The manifest and its detached
minisign signature are the only files it does not list.
"""

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

MANIFEST_NAME = "samizdat-manifest.txt"
SIGNATURE_NAME = MANIFEST_NAME + ".minisig"
HEADER = "samizdat-manifest 1"
UNLISTED = {MANIFEST_NAME, SIGNATURE_NAME}


class ManifestError(ValueError):
    """A manifest that does not parse."""


@dataclass(frozen=True, order=True)
class Entry:
    path: str
    size: int
    sha256: str


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def walk_files(root):
    """Relative POSIX paths of every regular file under root, sorted."""
    root = Path(root)
    found = []
    for directory, _dirs, files in os.walk(root):
        for name in files:
            full = Path(directory) / name
            found.append(full.relative_to(root).as_posix())
    return sorted(found)


def irregular_entries(root):
    """(relative path, what is wrong) for everything under root that is not a plain file
    in a non-empty directory: symbolic links (a mirror could point one at /etc),
    empty directories, devices, pipes, sockets, and folders that cannot be read.
    An export holds regular files only, so each of these is a failure."""
    root = Path(root)
    found = []

    def unreadable(error):
        where = Path(error.filename).relative_to(root).as_posix() if error.filename else "."
        found.append((where, f"cannot be read: {error.strerror or error}"))

    for directory, dirs, files in os.walk(root, onerror=unreadable, followlinks=False):
        here = Path(directory)
        if here != root and not dirs and not files:
            found.append((here.relative_to(root).as_posix(), "an empty directory"))
        for name in dirs + files:
            full = here / name
            rel = full.relative_to(root).as_posix()
            if full.is_symlink():
                found.append((rel, f"a symbolic link (to {os.readlink(full)})"))
            elif name in files and not stat.S_ISREG(full.lstat().st_mode):
                found.append((rel, "not a regular file"))
    return sorted(found)


def entries_for(root, known=None):
    """Entries for the files under root; `known` maps path -> Entry to skip re-hashing."""
    root = Path(root)
    entries = []
    for rel in walk_files(root):
        if rel in UNLISTED:
            continue
        if known and rel in known:
            entries.append(known[rel])
            continue
        full = root / rel
        entries.append(Entry(rel, full.stat().st_size, file_sha256(full)))
    return entries


def render(entries, site_url):
    lines = [HEADER, f"site {site_url}", f"files {len(entries)}"]
    for entry in sorted(entries):
        if "\n" in entry.path or "\r" in entry.path:
            raise ManifestError(f"file name with a line break: {entry.path!r}")
        lines.append(f"{entry.sha256} {entry.size} {entry.path}")
    return ("\n".join(lines) + "\n").encode()


def parse(data):
    """{path: Entry} and the site URL; ManifestError names what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError("manifest is not UTF-8 text") from exc
    lines = text.split("\n")
    if not text.endswith("\n") or len(lines) < 4 or lines[0] != HEADER:
        raise ManifestError("not a samizdat manifest (bad header)")
    if not lines[1].startswith("site ") or not lines[2].startswith("files "):
        raise ManifestError("manifest header is incomplete")
    try:
        count = int(lines[2][len("files "):])
    except ValueError as exc:
        raise ManifestError("manifest file count is not a number") from exc
    entries = {}
    for number, line in enumerate(lines[3:-1], start=4):
        parts = line.split(" ", 2)
        if len(parts) != 3 or len(parts[0]) != 64 or not parts[1].isdigit():
            raise ManifestError(f"manifest line {number} is malformed")
        sha, size, path = parts
        if path.startswith("/") or ".." in path.split("/") or path in UNLISTED:
            raise ManifestError(f"manifest line {number} names an unsafe path: {path}")
        if path in entries:
            raise ManifestError(f"manifest lists {path} twice")
        entries[path] = Entry(path, int(size), sha.lower())
    if len(entries) != count:
        raise ManifestError(f"manifest says {count} files but lists {len(entries)}")
    return lines[1][len("site "):], entries


TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_TIME = re.compile(r"\btime:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")


def export_time():
    """When this export was made, in UTC to the second: SOURCE_DATE_EPOCH (seconds
    since 1970) for reproducible builds, else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(UTC).replace(microsecond=0)


def trusted_comment(manifest_bytes, site_url, when):
    """Signed with the manifest: its hash and the export's time, so an old signed
    export replayed by a mirror shows its age (check_mirrors, minisign -V)."""
    digest = hashlib.sha256(manifest_bytes).hexdigest()
    return (f"samizdat export of {site_url} manifest-sha256:{digest} "
            f"time:{when.strftime(TIME_FORMAT)}")


def signed_time(comment):
    """The export time in a trusted comment, or None (exports signed before it was)."""
    match = _TIME.search(comment or "")
    if not match:
        return None
    return datetime.strptime(match.group(1), TIME_FORMAT).replace(tzinfo=UTC)


def write_signed(root, entries, site_url, secret_key, when=None):
    """Write the manifest and its signature into root; returns the manifest bytes."""
    root = Path(root)
    data = render(entries, site_url)
    signature = secret_key.sign(
        data,
        trusted_comment(data, site_url, when or export_time()),
        untrusted_comment=f"signature from samizdat mirror key {secret_key.public_key.id_hex}",
    )
    (root / MANIFEST_NAME).write_bytes(data)
    (root / SIGNATURE_NAME).write_text(signature)
    return data
