"""Import a list of subscribers from a CSV file (importing.py), as the admin page does."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from samizdat.newsletters import importing
from samizdat.newsletters.models import Newsletter


class Command(BaseCommand):
    help = (
        "Import subscribers from a Mailchimp, Substack or Ghost CSV export. Nothing is "
        "changed if the file cannot be read or (without --valid-rows-only) a row is bad."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--newsletter", type=int, required=True, help="newsletter id")
        parser.add_argument("--preset", choices=sorted(importing.PRESETS), default="other")
        parser.add_argument("--email-column", default="")
        parser.add_argument("--language-column", default="")
        consent = parser.add_mutually_exclusive_group(required=True)
        consent.add_argument(
            "--confirmed",
            metavar="CONSENT_SOURCE",
            help="import as confirmed; say where they gave consent",
        )
        consent.add_argument(
            "--opt-in", action="store_true", help="readers must confirm again (one e-mail each)"
        )
        parser.add_argument(
            "--valid-rows-only",
            action="store_true",
            help="import the valid rows even if some rows are bad",
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="origin of confirmation links (default: SAMIZDAT_DONATION_ORIGIN)",
        )

    def handle(self, *args, **options):
        newsletter = Newsletter.objects.filter(pk=options["newsletter"]).first()
        if newsletter is None:
            raise CommandError(f"No newsletter with id {options['newsletter']}.")
        try:
            data = options["file"].read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {options['file']}: {error.strerror}") from error
        try:
            report = importing.import_list(
                data,
                newsletter,
                preset=options["preset"],
                email_column=options["email_column"],
                language_column=options["language_column"],
                mode=importing.OPT_IN if options["opt_in"] else importing.CONFIRMED,
                consent_note=options["confirmed"] or "",
                valid_rows_only=options["valid_rows_only"],
            )
        except importing.ImportProblem as problem:
            raise CommandError(problem.message) from problem
        for line in report.lines():
            self.stdout.write(str(line))
        if not report.imported:
            raise CommandError(
                "Nothing was imported: fix the rows above, or pass --valid-rows-only."
            )
        if report.to_confirm:
            base = options["base_url"] or settings.SAMIZDAT_DONATION_ORIGIN
            queued = importing.queue_confirmations(report, base)
            self.stdout.write(f"{queued} confirmation e-mail(s) queued")
