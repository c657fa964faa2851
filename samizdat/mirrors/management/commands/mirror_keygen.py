"""Create the mirror signing key; with --rotate, the old key vouches for the new one."""

import datetime
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from samizdat.mirrors.signing import SecretKey, SigningError, load_secret_key


def rotation_statement(old, new, site_url, when):
    return (
        "samizdat mirror key rotation\n"
        f"site: {site_url}\n"
        f"date: {when:%Y-%m-%dT%H:%M:%SZ}\n"
        f"old-key: {old.public_key.id_hex} {old.public_key.line}\n"
        f"new-key: {new.public_key.id_hex} {new.public_key.line}\n"
        "From this date, exports are signed with the new key.\n"
    ).encode()


class Command(BaseCommand):
    help = "Generate a minisign (Ed25519) key for signing exports; prints its public key."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=None,
                            help="where to write the secret key "
                                 "(default: SAMIZDAT_MIRROR_SIGNING_KEY_FILE)")
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")
        parser.add_argument("--rotate", action="store_true",
                            help="sign a hand-over statement with the configured (old) key")

    def handle(self, *args, path=None, force=False, rotate=False, **options):
        path = Path(path or settings.SAMIZDAT_MIRROR_SIGNING_KEY_FILE)
        if path.exists() and not force:
            raise CommandError(f"{path} exists; use --force to replace it (keep a copy first)")
        old = None
        if rotate:
            try:
                old = load_secret_key()
            except SigningError as exc:
                raise CommandError(f"--rotate needs the current key: {exc}") from exc
        key = SecretKey.generate()
        if rotate:
            rotations = Path(settings.SAMIZDAT_MIRROR_KEY_ROTATIONS_DIR)
            rotations.mkdir(parents=True, exist_ok=True)
            when = datetime.datetime.now(datetime.UTC)
            statement = rotation_statement(old, key, settings.SITE_URL, when)
            name = f"rotation-{when:%Y%m%d}-{key.public_key.id_hex}.txt"
            (rotations / name).write_bytes(statement)
            (rotations / (name + ".minisig")).write_text(old.sign(
                statement, f"samizdat key rotation to {key.public_key.id_hex}"))
            self.stdout.write(f"Rotation statement signed by {old.public_key.id_hex}: "
                              f"{rotations / name}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(key.file_text())
        except OSError as exc:
            raise CommandError(f"cannot write {path}: {exc}") from exc
        self.stdout.write(f"Secret key written to {path} (keep it secret, back it up).")
        self.stdout.write(key.public_key.file_text())
