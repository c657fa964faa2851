"""What an export is asked to do, what it reports, and the fixed facts every
rendered page needs (handed to each worker process once, in its initializer)."""

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings

from .. import urlset


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
    test_client: bool = False  # render through Django's test client (benchmarks compare)


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


@dataclass(frozen=True)
class ExportContext:
    """The site being exported and where to: the same for every page of one run."""

    scheme: str
    host: str
    site_url: str  # without a trailing slash
    static_url: str  # normalised paths
    media_url: str
    tmpdir: str  # the folder being written
    previous: str  # the previous export ("" on a full export)
    onion: bool  # this is the onion copy
    onion_url: str
    donation_origin: str  # where contribution links and forms go ("" drops them)
    test_client: bool = False  # render through the test client, not DirectHandler

    @property
    def hostname(self):
        return self.host.split(":")[0]

    @property
    def published_url(self):
        """The origin the signed manifest names."""
        return self.onion_url if self.onion else self.site_url

    def state_options(self):
        """What an incremental export must share with the previous one."""
        return {"site_url": self.site_url, "onion": self.onion, "onion_url": self.onion_url,
                "donation_origin": self.donation_origin, "static_url": self.static_url,
                "media_url": self.media_url}


def build_context(options, tmpdir, previous):
    from ..mirrorlist import onion_url

    parts = urlsplit(settings.SITE_URL)
    onion = onion_url()
    if options.onion and not onion:
        raise ExportError(
            "--onion needs an onion address: set SAMIZDAT_ONION_URL or add an active onion mirror"
        )
    if options.onion:
        donation = getattr(settings, "SAMIZDAT_DONATION_ONION_ORIGIN", "")
    else:
        donation = getattr(settings, "SAMIZDAT_DONATION_ORIGIN", "") or settings.SITE_URL
    return ExportContext(
        scheme=parts.scheme or "http",
        host=parts.netloc,
        site_url=settings.SITE_URL.rstrip("/"),
        static_url=urlset.normalize(settings.STATIC_URL),
        media_url=urlset.normalize(settings.MEDIA_URL),
        tmpdir=str(tmpdir),
        previous=str(previous) if previous else "",
        onion=options.onion,
        onion_url=onion,
        donation_origin=donation.rstrip("/"),
        test_client=options.test_client,
    )
