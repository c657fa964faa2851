"""The address typed at checkout stays on the gift or plan until money arrives.

Rows no money ever reached (no payment in the ledger; a plan never activated) had
a Supporter from the moment the form was sent. Their address moves, as the same
encrypted token and blind index, onto the row itself and the link is cut, so
only addresses that paid are supporters. Supporter rows left with nothing are
deleted by retention (delete_abandoned_checkouts). Going back loses those
addresses (they are in no Supporter row any more).
"""

import samizdat.support.crypto
from django.db import migrations, models


def _detach(table, fk, extra=""):
    return f"""
UPDATE {table} SET
  checkout_email_ciphertext = COALESCE((SELECT s.email_ciphertext FROM support_supporter s
                                        WHERE s.id = {table}.supporter_id), ''),
  checkout_email_index = COALESCE((SELECT s.email_index FROM support_supporter s
                                   WHERE s.id = {table}.supporter_id), ''),
  supporter_id = NULL
WHERE supporter_id IS NOT NULL {extra}
  AND NOT EXISTS (SELECT 1 FROM support_ledgerentry e
                  WHERE e.{fk} = {table}.id AND e.kind = 'payment')
"""


DETACH_UNPAID = [
    _detach("support_contribution", "contribution_id"),
    _detach("support_pledge", "pledge_id", "AND activated_at IS NULL"),
]


class Migration(migrations.Migration):

    dependencies = [
        ('support', '0007_payment_checks'),
    ]

    operations = [
        migrations.AddField(
            model_name='contribution',
            name='checkout_email',
            field=samizdat.support.crypto.EncryptedEmailField(blank=True, db_column='checkout_email_ciphertext', max_length=254, verbose_name='e-mail given at checkout'),
        ),
        migrations.AddField(
            model_name='contribution',
            name='checkout_email_index',
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64, verbose_name='checkout e-mail blind index'),
        ),
        migrations.AddField(
            model_name='pledge',
            name='checkout_email',
            field=samizdat.support.crypto.EncryptedEmailField(blank=True, db_column='checkout_email_ciphertext', max_length=254, verbose_name='e-mail given at checkout'),
        ),
        migrations.AddField(
            model_name='pledge',
            name='checkout_email_index',
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64, verbose_name='checkout e-mail blind index'),
        ),
        migrations.RunSQL(DETACH_UNPAID, reverse_sql=migrations.RunSQL.noop),
    ]
