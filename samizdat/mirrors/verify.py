"""Check an export, on disk or at a URL, against its signed manifest."""

import hashlib
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .manifest import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    UNLISTED,
    ManifestError,
    file_sha256,
    irregular_entries,
    parse,
    walk_files,
)
from .signing import SigningError

# A browser's User-Agent: a tampering mirror must not be able to tell the checker
# from a reader and serve it the untouched files only.
USER_AGENT = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 "
              "Firefox/128.0")


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    reason: str

    def __str__(self):
        return f"{self.path}: {self.reason}"


@dataclass
class Report:
    problems: list
    files: int = 0
    trusted_comment: str = ""
    entries: dict | None = None
    manifest: bytes = b""

    @property
    def ok(self):
        return not self.problems


def check_signature(manifest_bytes, signature_text, public_key):
    """(trusted comment, {path: Entry}) or raise SigningError / ManifestError."""
    comment = public_key.verify(manifest_bytes, signature_text)
    _site, entries = parse(manifest_bytes)
    return comment, entries


def verify_tree(root, public_key):
    """Every problem with the export in folder `root`, named by file."""
    root = Path(root)
    try:
        manifest_bytes = (root / MANIFEST_NAME).read_bytes()
        signature = (root / SIGNATURE_NAME).read_text()
    except FileNotFoundError as exc:
        return Report([Problem(Path(exc.filename).name, "missing (not an export?)")])
    except (OSError, UnicodeDecodeError) as exc:
        return Report([Problem(SIGNATURE_NAME, f"unreadable: {exc}")])
    try:
        comment, entries = check_signature(manifest_bytes, signature, public_key)
    except SigningError as exc:
        return Report([Problem(SIGNATURE_NAME, str(exc))])
    except ManifestError as exc:
        return Report([Problem(MANIFEST_NAME, str(exc))])
    problems = [Problem(rel, why) for rel, why in irregular_entries(root)]
    irregular = {problem.path for problem in problems}
    present = {rel for rel in walk_files(root) if rel not in UNLISTED and rel not in irregular}
    for rel in sorted(present - entries.keys()):
        problems.append(Problem(rel, "not listed in the manifest"))
    for rel, entry in sorted(entries.items()):
        full = root / rel
        if rel not in present:
            problems.append(Problem(rel, "missing"))
        elif full.stat().st_size != entry.size:
            problems.append(Problem(rel, f"size {full.stat().st_size}, manifest says {entry.size}"))
        elif file_sha256(full) != entry.sha256:
            problems.append(Problem(rel, "content differs from the manifest (SHA-256)"))
    return Report(sorted(problems), len(entries), comment, entries, manifest_bytes)


def fetch(url, timeout=20):
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.read()


def file_url(base_url, rel):
    return base_url.rstrip("/") + "/" + urllib.parse.quote(rel)


def verify_url(base_url, public_key, paths=None, timeout=20, workers=8):
    """Check a served export. `paths` limits the files fetched (None: all of them).

    Over HTTP an unlisted extra file cannot be seen; a folder check can.
    """
    try:
        manifest_bytes = fetch(file_url(base_url, MANIFEST_NAME), timeout)
        signature = fetch(file_url(base_url, SIGNATURE_NAME), timeout).decode("utf-8", "replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Report([Problem(MANIFEST_NAME, f"unreachable: {exc}")])
    try:
        comment, entries = check_signature(manifest_bytes, signature, public_key)
    except SigningError as exc:
        return Report([Problem(SIGNATURE_NAME, str(exc))])
    except ManifestError as exc:
        return Report([Problem(MANIFEST_NAME, str(exc))])
    wanted = sorted(entries) if paths is None else sorted(p for p in paths if p in entries)

    def check(rel):
        entry = entries[rel]
        try:
            body = fetch(file_url(base_url, rel), timeout)
        except urllib.error.HTTPError as exc:
            return Problem(rel, f"missing (HTTP {exc.code})")
        except (urllib.error.URLError, OSError) as exc:
            return Problem(rel, f"unreachable: {exc}")
        if len(body) != entry.size or hashlib.sha256(body).hexdigest() != entry.sha256:
            return Problem(rel, "content differs from the manifest (SHA-256)")
        return None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        problems = [p for p in pool.map(check, wanted) if p is not None]
    return Report(sorted(problems), len(entries), comment, entries, manifest_bytes)
