"""Fetch each active mirror's manifest and files; report stale, unreachable, tampered."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from samizdat.mirrors.health import check_all
from samizdat.mirrors.manifest import MANIFEST_NAME
from samizdat.mirrors.signing import SigningError, load_secret_key


class Command(BaseCommand):
    help = "Compare every active mirror with the current export; non-zero if any is not ok."

    def add_arguments(self, parser):
        parser.add_argument("--export", default=None,
                            help="the current export (default: SAMIZDAT_EXPORT_DIR)")
        parser.add_argument("--sample", type=int, default=20,
                            help="files fetched per mirror besides the home pages")
        parser.add_argument("--full", action="store_true", help="fetch every file")
        parser.add_argument("--timeout", type=float, default=20)
        parser.add_argument("--max-age-days", type=int, default=None,
                            help="a mirror whose export was signed longer ago is STALE "
                                 "(default: SAMIZDAT_MIRROR_MAX_AGE_DAYS; 0 turns it off)")

    def handle(self, *args, export, sample, full, timeout, max_age_days, **options):
        if max_age_days is None:
            max_age_days = getattr(settings, "SAMIZDAT_MIRROR_MAX_AGE_DAYS", 7)
        if max_age_days < 0:
            raise CommandError("--max-age-days must be 0 (no limit) or more")
        export = Path(export or settings.SAMIZDAT_EXPORT_DIR)
        if not (export / MANIFEST_NAME).is_file():
            raise CommandError(f"{export} holds no export (run export_site first)")
        try:
            key = load_secret_key().public_key
        except SigningError as exc:
            raise CommandError(str(exc)) from exc
        results = check_all(export, key, sample=sample, full=full, timeout=timeout,
                            max_age_days=max_age_days)
        for health in results:
            self.stdout.write(str(health))
        bad = [h for h in results if h.status not in ("ok", "skipped")]
        if bad:
            raise CommandError(f"{len(bad)} of {len(results)} mirrors need attention")
        self.stdout.write(f"{len(results)} mirrors checked, all current.")
