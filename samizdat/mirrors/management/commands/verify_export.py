"""Check an export (folder or URL) against its signed manifest; non-zero on any problem."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from samizdat.mirrors.signing import SigningError, load_public_key
from samizdat.mirrors.verify import verify_tree, verify_url


class Command(BaseCommand):
    help = "Verify the signature and every file of an export, in a folder or at a URL."

    def add_arguments(self, parser):
        parser.add_argument("target", help="export folder, or the base URL of a mirror")
        parser.add_argument("--public-key", default="",
                            help="minisign public key: a .pub file or its base64 line "
                                 "(default: the configured signing key's)")

    def handle(self, *args, target, public_key, **options):
        try:
            key = load_public_key(public_key)
        except (SigningError, OSError) as exc:
            raise CommandError(f"no usable public key: {exc}") from exc
        if target.startswith(("http://", "https://")):
            report = verify_url(target, key)
        else:
            if not Path(target).is_dir():
                raise CommandError(f"{target} is not a folder")
            report = verify_tree(target, key)
        for problem in report.problems:
            self.stderr.write(f"FAIL {problem}")
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problem(s) in {target}")
        self.stdout.write(f"OK {target}: signature by key {key.id_hex} and all "
                          f"{report.files} files verified ({report.trusted_comment})")
