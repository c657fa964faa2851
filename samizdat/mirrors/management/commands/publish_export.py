"""Copy an export to folders or S3-compatible buckets, changed files only."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from samizdat.mirrors.publish import PublishError, publish
from samizdat.mirrors.signing import SigningError, load_public_key


class Command(BaseCommand):
    help = "Upload the export's changed files to each target (folder or s3://bucket/prefix)."

    def add_arguments(self, parser):
        parser.add_argument("targets", nargs="*",
                            help="default: SAMIZDAT_EXPORT_PUBLISH_TARGETS")
        parser.add_argument("--from", dest="source", default=None,
                            help="export folder (default: SAMIZDAT_EXPORT_DIR)")
        parser.add_argument("--endpoint-url", default=None, help="S3-compatible endpoint")
        parser.add_argument("--public-key", default="",
                            help="minisign public key the export must verify against: a .pub "
                                 "file or its base64 line (default: the configured signing "
                                 "key's)")

    def handle(self, *args, targets, source, endpoint_url, public_key, **options):
        source = source or str(settings.SAMIZDAT_EXPORT_DIR)
        targets = targets or settings.SAMIZDAT_EXPORT_PUBLISH_TARGETS
        if not targets:
            raise CommandError("no target given and SAMIZDAT_EXPORT_PUBLISH_TARGETS is empty")
        try:
            key = load_public_key(public_key)
        except (SigningError, OSError) as exc:
            raise CommandError(f"no usable public key: {exc}") from exc
        for target in targets:
            try:
                self.stdout.write(str(publish(source, target, endpoint_url, public_key=key)))
            except PublishError as exc:
                raise CommandError(str(exc)) from exc
