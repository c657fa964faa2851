"""Print the public key, for channels outside the site (newsletter, social accounts)."""

from django.core.management.base import BaseCommand, CommandError

from samizdat.mirrors.signing import SigningError, load_secret_key


class Command(BaseCommand):
    help = "Print the mirror signing public key in minisign format."

    def handle(self, *args, **options):
        try:
            key = load_secret_key()
        except SigningError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(key.public_key.file_text(), ending="")
