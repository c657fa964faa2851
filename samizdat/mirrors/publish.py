"""Copy an export to where it is served: a folder, or an S3-compatible bucket.

Only changed files move (compared by hash); the signed manifest goes last,
so a reader never sees a manifest that names files not yet uploaded; files
the export no longer has are removed after that. An export that does not
verify against the signing key (a changed file, a symlink to /etc planted in
the folder, a stray file) is refused before anything is copied: what mirrors
receive is exactly what was signed.
"""

import hashlib
import mimetypes
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from .manifest import MANIFEST_NAME, SIGNATURE_NAME, file_sha256, walk_files

LAST = (MANIFEST_NAME, SIGNATURE_NAME)


class PublishError(Exception):
    pass


@dataclass
class PublishResult:
    target: str
    uploaded: list
    deleted: list
    unchanged: int

    def __str__(self):
        return (f"{self.target}: {len(self.uploaded)} uploaded, {len(self.deleted)} deleted, "
                f"{self.unchanged} unchanged")


def _ordered(paths):
    return sorted(p for p in paths if p not in LAST) + [p for p in LAST if p in paths]


def content_type(rel):
    if rel.endswith(".minisig") or rel.endswith(".pub"):
        return "text/plain; charset=utf-8"
    guessed, _encoding = mimetypes.guess_type(rel)
    guessed = guessed or "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/json", "application/xml"):
        guessed += "; charset=utf-8"
    return guessed


def publish_to_folder(export_dir, target):
    export_dir, target = Path(export_dir), Path(target)
    if target.resolve() == export_dir.resolve():
        return PublishResult(str(target), [], [], len(walk_files(export_dir)))
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PublishError(f"cannot create {target}: {exc}") from exc
    source = walk_files(export_dir)
    present = set(walk_files(target))
    uploaded, unchanged = [], 0
    for rel in _ordered(source):
        src, dst = export_dir / rel, target / rel
        if rel in present and dst.stat().st_size == src.stat().st_size and \
                file_sha256(dst) == file_sha256(src):
            unchanged += 1
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        temp = dst.with_name(f".{dst.name}.publishing")
        shutil.copyfile(src, temp)
        os.replace(temp, dst)
        uploaded.append(rel)
    deleted = sorted(present - set(source))
    for rel in deleted:
        (target / rel).unlink()
    return PublishResult(str(target), uploaded, deleted, unchanged)


def s3_client(endpoint_url=None):
    import boto3

    endpoint_url = endpoint_url or getattr(settings, "SAMIZDAT_EXPORT_S3_ENDPOINT_URL", "") or None
    return boto3.client("s3", endpoint_url=endpoint_url)


def publish_to_s3(export_dir, target, endpoint_url=None, client=None):
    """target is s3://bucket/prefix; compares the MD5 ETag of each object with the file."""
    from botocore.exceptions import BotoCoreError, ClientError

    parts = urlsplit(target)
    bucket, prefix = parts.netloc, parts.path.strip("/")
    prefix = prefix + "/" if prefix else ""
    client = client or s3_client(endpoint_url)
    export_dir = Path(export_dir)
    try:
        remote = {}
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                remote[item["Key"][len(prefix):]] = item["ETag"].strip('"')
        uploaded, unchanged = [], 0
        source = walk_files(export_dir)
        for rel in _ordered(source):
            data = (export_dir / rel).read_bytes()
            if remote.get(rel) == hashlib.md5(data, usedforsecurity=False).hexdigest():
                unchanged += 1
                continue
            client.put_object(
                Bucket=bucket, Key=prefix + rel, Body=data, ContentType=content_type(rel),
                Metadata={"sha256": hashlib.sha256(data).hexdigest()},
            )
            uploaded.append(rel)
        deleted = sorted(set(remote) - set(source))
        for start in range(0, len(deleted), 1000):
            chunk = deleted[start:start + 1000]
            client.delete_objects(Bucket=bucket, Delete={
                "Objects": [{"Key": prefix + rel} for rel in chunk], "Quiet": True})
    except (BotoCoreError, ClientError) as exc:
        raise PublishError(f"{target}: {exc}") from exc
    return PublishResult(target, uploaded, deleted, unchanged)


def check_export(export_dir, public_key=None):
    """Raise PublishError unless export_dir verifies against public_key (default: the
    configured signing key's)."""
    from .signing import SigningError, load_secret_key
    from .verify import verify_tree

    if not Path(export_dir).is_dir():
        raise PublishError(f"{export_dir} is not a folder")
    try:
        public_key = public_key or load_secret_key().public_key
    except SigningError as exc:
        raise PublishError(f"cannot check the export before publishing: {exc}") from exc
    report = verify_tree(export_dir, public_key)
    if not report.ok:
        shown = "; ".join(str(problem) for problem in report.problems[:5])
        more = len(report.problems) - 5
        raise PublishError(f"{export_dir} does not verify, nothing was published: {shown}"
                           + (f" (and {more} more)" if more > 0 else ""))


def publish(export_dir, target, endpoint_url=None, *, public_key=None):
    check_export(export_dir, public_key)
    if target.startswith("s3://"):
        return publish_to_s3(export_dir, target, endpoint_url)
    if "://" in target and not target.startswith("file://"):
        raise PublishError(f"unsupported target {target}: use a folder or s3://bucket/prefix")
    return publish_to_folder(export_dir, target.removeprefix("file://"))
