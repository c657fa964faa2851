"""Importing a list exported from Mailchimp, Substack or Ghost (a CSV file).

Staff say which column holds the address (a preset names it for each service) and
whether the readers gave consent elsewhere (imported as confirmed, with the consent
source recorded) or must opt in again (pending, one confirmation e-mail each, sent
after the import). Addresses are merged by blind index: the same address twice in
the file, or one already subscribed, is one subscriber. A file that cannot be read
(wrong encoding, no such column) changes nothing; bad rows are reported by their
row number, and unless staff ask for the valid rows alone, one bad row means
nothing is imported. What is imported goes in one transaction.
"""

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from samizdat.core.crypto import blind_index

from .models import Subscriber, Subscription

# What each service's export calls the address, and the column that says a reader had
# stopped getting mail there (imported readers who left are skipped, not re-added).
PRESETS = {
    "mailchimp": {"email": "Email Address", "off": None},
    "substack": {"email": "email", "off": ("email_disabled", {"true", "1", "yes"})},
    "ghost": {"email": "email", "off": ("subscribed_to_emails", {"false", "0", "no"})},
    "other": {"email": "email", "off": None},
}
CONFIRMED, OPT_IN = "confirmed", "opt-in"
MAX_BYTES = 50 * 1024 * 1024
CONFIRM_BATCH = 200


class ImportProblem(Exception):
    """The file as a whole cannot be imported; nothing was changed."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class Report:
    rows: int = 0
    added: int = 0  # new subscriptions
    merged: int = 0  # rows whose address was already in the file or on the list
    skipped: list = field(default_factory=list)  # (row number, why), not errors
    errors: list = field(default_factory=list)  # (row number, what is wrong)
    imported: bool = False
    to_confirm: list = field(default_factory=list)  # subscriber ids, for the task

    def lines(self):
        yield _("%(rows)d rows read.") % {"rows": self.rows}
        if self.imported:
            yield _("%(added)d subscriptions added, %(merged)d duplicates merged.") % {
                "added": self.added,
                "merged": self.merged,
            }
        else:
            yield _("Nothing was imported.")
        for number, why in self.errors:
            yield _("Row %(row)d: %(problem)s") % {"row": number, "problem": why}
        for number, why in self.skipped:
            yield _("Row %(row)d skipped: %(reason)s") % {"row": number, "reason": why}


def read_rows(data):
    """(header, [(row number, {column: value})]) of a CSV file given as bytes; row 1 is
    the header, as a spreadsheet numbers them."""
    if len(data) > MAX_BYTES:
        raise ImportProblem(_("The file is larger than 50 MB. Split it and import each part."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportProblem(
            _(
                "The file is not UTF-8 text (first bad byte on line %(line)d). Export it again "
                "as UTF-8 CSV; nothing was imported."
            )
            % {"line": line}
        ) from error
    if "\0" in text:
        raise ImportProblem(_("This is not a CSV file; nothing was imported."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        rows = list(reader)
    except csv.Error as error:
        raise ImportProblem(
            _("The file is not valid CSV (%(error)s); nothing was imported.") % {"error": error}
        ) from error
    if not rows:
        raise ImportProblem(_("The file is empty; nothing was imported."))
    header = [name.strip() for name in rows[0]]
    return header, [
        (number, dict(zip(header, [v.strip() for v in values], strict=False)))
        for number, values in enumerate(rows[1:], start=2)
        if any(values)
    ]


def _column(header, wanted, label):
    """The header's own spelling of a column, matched without regard to case."""
    if not wanted:
        return None
    for name in header:
        if name.lower() == wanted.strip().lower():
            return name
    raise ImportProblem(
        _(
            "The file has no column “%(column)s” for the %(label)s. Its columns are: "
            "%(columns)s. Nothing was imported."
        )
        % {"column": wanted, "label": label, "columns": ", ".join(header) or "—"}
    )


def _check_address(value):
    if not value:
        return _("the address is empty")
    if len(value) > 254 or "\n" in value or "\r" in value:
        return _("“%(value)s” is not an e-mail address") % {"value": value[:80]}
    try:
        validate_email(value)
    except ValidationError:
        return _("“%(value)s” is not an e-mail address") % {"value": value[:80]}
    return None


def import_list(
    data,
    newsletter,
    *,
    preset="other",
    email_column="",
    language_column="",
    mode=CONFIRMED,
    consent_note="",
    valid_rows_only=False,
    now=None,
):
    """Read, check and (if allowed) import; returns a Report. Raises ImportProblem for a
    file that cannot be read, having changed nothing."""
    if mode not in (CONFIRMED, OPT_IN):
        raise ImportProblem(_("Choose whether the readers are confirmed or must opt in."))
    if mode == CONFIRMED and not consent_note.strip():
        raise ImportProblem(
            _(
                "Say where these readers gave their consent (for example "
                "“Mailchimp sign-up form, 2019–2025”); nothing was imported."
            )
        )
    now = now or timezone.now()
    spec = PRESETS.get(preset, PRESETS["other"])
    header, rows = read_rows(data)
    email_col = _column(header, email_column or spec["email"], _("e-mail address"))
    language_col = _column(header, language_column, _("language"))
    off_col, off_values = spec["off"] or (None, set())
    off_col = next((name for name in header if off_col and name.lower() == off_col), None)
    languages = dict(settings.LANGUAGES)
    report, wanted, seen = Report(rows=len(rows)), [], set()
    for number, row in rows:
        address = row.get(email_col, "")
        problem = _check_address(address)
        if problem:
            report.errors.append((number, problem))
            continue
        if off_col and row.get(off_col, "").lower() in off_values:
            report.skipped.append((number, _("no longer subscribed in the old list")))
            continue
        index = blind_index(address)
        if index in seen:
            report.merged += 1
            continue
        seen.add(index)
        language = (row.get(language_col, "") or "").lower()[:8] if language_col else ""
        wanted.append(
            (number, address, index, language if language in languages else newsletter.language)
        )
    if report.errors and not valid_rows_only:
        return report
    with transaction.atomic():
        existing = {
            s.email_index: s
            for s in Subscriber.objects.filter(
                email_index__in=[index for _n, _a, index, _l in wanted]
            )
        }
        for number, address, index, language in wanted:
            subscriber = existing.get(index)
            if subscriber is not None and subscriber.suppressed:
                report.skipped.append((number, _("suppressed here after a bounce or a complaint")))
                continue
            if subscriber is None:
                subscriber = Subscriber.objects.create(email=address, language=language)
            subscription, created = Subscription.objects.get_or_create(
                subscriber=subscriber,
                newsletter=newsletter,
                defaults={
                    "source": Subscription.Source.IMPORT,
                    "consent_note": consent_note[:200],
                    "confirmed": now if mode == CONFIRMED else None,
                },
            )
            if created:
                report.added += 1
            else:
                report.merged += 1
                if mode == CONFIRMED and subscription.confirmed is None:
                    subscription.confirmed = now
                    subscription.source = Subscription.Source.IMPORT
                    subscription.consent_note = consent_note[:200]
                    subscription.save(update_fields=["confirmed", "source", "consent_note"])
            if mode == OPT_IN and subscription.confirmed is None:
                report.to_confirm.append(subscriber.pk)
        report.imported = True
    report.skipped.sort()
    return report


def queue_confirmations(report, base_url):
    """After the import committed: confirmation e-mails in batches of background tasks."""
    from .tasks import ask_imported_to_confirm

    ids = report.to_confirm
    for start in range(0, len(ids), CONFIRM_BATCH):
        ask_imported_to_confirm.enqueue(ids[start : start + CONFIRM_BATCH], base_url)
    return len(ids)
