"""Is each mirror serving the current, untouched export?"""

import secrets
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from .manifest import MANIFEST_NAME, signed_time
from .models import Mirror
from .verify import verify_url

ALWAYS_CHECKED = ("index.html", "mirrors/index.html", "ru/index.html", "mirrors.json")


@dataclass
class Health:
    mirror: Mirror
    status: str  # ok, stale, tampered, unreachable, skipped
    detail: str = ""

    def __str__(self):
        return f"{self.status.upper():11} {self.mirror.url} {self.detail}".rstrip()


def sample_paths(entries, size, rng=None):
    """The pages readers land on, plus a fresh random sample of the rest on every run.

    A fixed sample let a tampering mirror change every file but those; a random
    one (from the system's secure source) gives it no file it can count on
    never being read."""
    rng = rng or secrets.SystemRandom()
    chosen = {p for p in ALWAYS_CHECKED if p in entries}
    others = sorted(set(entries) - chosen)
    if size and others:
        chosen.update(rng.sample(others, min(size, len(others))))
    return sorted(chosen)


def too_old(comment, max_age_days, now=None):
    """A description if the signed export time is older than the limit, else ""."""
    when = signed_time(comment)
    if when is None or not max_age_days:
        return ""
    age = (now or timezone.now()) - when
    if age.total_seconds() > max_age_days * 86400:
        return f"(signed {age.days} days ago, limit {max_age_days})"
    return ""


def check_mirror(mirror, current_manifest, public_key, sample=20, full=False, timeout=20,
                 max_age_days=None):
    if mirror.kind == Mirror.Kind.ONION or not mirror.url.startswith(("http://", "https://")):
        return Health(mirror, "skipped", "(needs Tor or an IPFS gateway URL)")
    first = verify_url(mirror.base_url, public_key, paths=[], timeout=timeout)
    if first.problems:
        problem = first.problems[0]
        status = "unreachable" if "unreachable" in problem.reason else "tampered"
        return Health(mirror, status, str(problem))
    paths = None if full else sample_paths(first.entries, sample)
    report = verify_url(mirror.base_url, public_key, paths=paths, timeout=timeout)
    if report.problems:
        names = ", ".join(str(p) for p in report.problems[:5])
        unreachable = all("unreachable" in p.reason for p in report.problems)
        return Health(mirror, "unreachable" if unreachable else "tampered", names)
    if report.manifest != current_manifest:
        return Health(mirror, "stale", f"({report.trusted_comment})")
    # Genuine and current, but signed too long ago: the exports have stopped.
    old = too_old(report.trusted_comment, max_age_days)
    if old:
        return Health(mirror, "stale", old)
    checked = report.files if full else len(paths)
    return Health(mirror, "ok", f"({checked} of {report.files} files checked)")


def check_all(export_dir, public_key, sample=20, full=False, timeout=20, save=True,
              max_age_days=None):
    current = (Path(export_dir) / MANIFEST_NAME).read_bytes()
    results = []
    for mirror in Mirror.objects.active().order_by("kind", "created_at", "pk"):
        health = check_mirror(mirror, current, public_key, sample, full, timeout,
                              max_age_days)
        results.append(health)
        if save:
            mirror.last_checked_at = timezone.now()
            mirror.last_check_result = str(health)[:300]
            mirror.save(update_fields=["last_checked_at", "last_check_result"])
    return results
