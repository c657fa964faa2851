"""Re-encrypt every donor address under the first key of SAMIZDAT_DONOR_KEYS.

Without downtime: put the new key first (SAMIZDAT_DONOR_KEYS=new,old), restart
the app (it now encrypts with the new key and still reads the old), run this,
then drop the old key. Rows are done in batches, each a short transaction,
and each update only applies if the row still holds the token that was read
(a row the app changed meanwhile is already under the new key). Running it
again changes nothing. The blind-index key (SAMIZDAT_DONOR_INDEX_KEY) is not
rotated: changing it would need every address re-indexed from its plaintext.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from samizdat.core import personal_data
from samizdat.support.crypto import (
    SEALED_PREFIX,
    DonorKeyError,
    InvalidToken,
    fernet,
    is_current,
    primary_fernet,
    reseal_personal_data,
    rotate_token,
)


def encrypted_columns():
    """(model, field) for every encrypted column, support's and other apps'."""
    from samizdat.support.models import Contribution, Pledge, Supporter

    return [(Supporter, Supporter._meta.get_field("email")),
            # The address typed at a checkout not paid yet (support/models: CheckoutEmail).
            (Contribution, Contribution._meta.get_field("checkout_email")),
            (Pledge, Pledge._meta.get_field("checkout_email")),
            *(column for handler in personal_data.handlers()
              for column in handler.encrypted_fields())]


class Command(BaseCommand):
    help = ("Re-encrypt donor e-mail addresses (and personal values in stored provider "
            "events) under the first key of SAMIZDAT_DONOR_KEYS, in batches.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size=500, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            fernet()
            primary_fernet()
        except DonorKeyError as exc:
            raise CommandError(str(exc)) from exc
        unreadable = 0
        for model, field in encrypted_columns():
            counts = self._rotate_column(model, field, batch_size)
            unreadable += counts["unreadable"]
            self._report(f"{model._meta.label}.{field.name}", counts)
        counts = self._rotate_events(batch_size)
        unreadable += counts["unreadable"]
        self._report("support.ProviderEvent personal values", counts)
        if unreadable:
            raise CommandError(
                f"{unreadable} value(s) could not be decrypted with any key in "
                "SAMIZDAT_DONOR_KEYS: add the key they were written with and run again."
            )
        self.stdout.write("Every donor value is encrypted under the first key.")

    def _report(self, label, counts):
        self.stdout.write(
            f"{label}: {counts['checked']} checked, {counts['rotated']} re-encrypted, "
            f"{counts['current']} already current, {counts['unreadable']} unreadable."
        )

    def _rotate_column(self, model, field, batch_size):
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(field.column)
        pk = connection.ops.quote_name(model._meta.pk.column)
        counts = {"checked": 0, "rotated": 0, "current": 0, "unreadable": 0}
        last = None
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                where = f"WHERE {pk} > %s " if last is not None else ""
                cursor.execute(
                    f"SELECT {pk}, {column} FROM {table} {where}ORDER BY {pk} LIMIT %s",  # noqa: S608
                    ([last] if last is not None else []) + [batch_size],
                )
                rows = cursor.fetchall()
                for row_pk, token in rows:
                    if not token:
                        continue
                    counts["checked"] += 1
                    if is_current(token):
                        counts["current"] += 1
                        continue
                    try:
                        new_token = rotate_token(token)
                    except InvalidToken:
                        counts["unreadable"] += 1
                        continue
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s",  # noqa: S608
                        [new_token, row_pk, token],
                    )
                    counts["rotated"] += 1
            if len(rows) < batch_size:
                return counts
            last = rows[-1][0]

    def _rotate_events(self, batch_size):
        from samizdat.support.models import ProviderEvent

        counts = {"checked": 0, "rotated": 0, "current": 0, "unreadable": 0}
        last = 0
        while True:
            batch = list(ProviderEvent.objects.filter(pk__gt=last).order_by("pk")
                         .values_list("pk", "payload")[:batch_size])
            for event_pk, payload in batch:
                try:
                    resealed = reseal_personal_data(payload)  # also seals older plain values
                except InvalidToken:
                    counts["checked"] += 1
                    counts["unreadable"] += 1
                    continue
                if resealed != payload:
                    counts["checked"] += 1
                    ProviderEvent.objects.filter(pk=event_pk).update(payload=resealed)
                    counts["rotated"] += 1
                elif SEALED_PREFIX in str(payload):
                    counts["checked"] += 1
                    counts["current"] += 1
            if len(batch) < batch_size:
                return counts
            last = batch[-1][0]
