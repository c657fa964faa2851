"""Print new keys for donor-data encryption (SAMIZDAT_DONOR_KEYS, SAMIZDAT_DONOR_INDEX_KEY)."""

import secrets

from django.core.management.base import BaseCommand

from samizdat.support.crypto import generate_key


class Command(BaseCommand):
    help = ("Print a new Fernet key for SAMIZDAT_DONOR_KEYS (or, with --index, a key for "
            "SAMIZDAT_DONOR_INDEX_KEY). Keep them out of the database backups.")
    requires_system_checks = []  # it is how a missing key gets made

    def add_arguments(self, parser):
        parser.add_argument("--index", action="store_true",
                            help="a blind-index key (set once; never rotated)")

    def handle(self, *args, index=False, **options):
        self.stdout.write(secrets.token_urlsafe(48) if index else generate_key())
