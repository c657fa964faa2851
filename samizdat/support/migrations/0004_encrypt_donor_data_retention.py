"""Donor addresses encrypted at rest, looked up by a blind index; retention settings.

Existing addresses are encrypted under the first SAMIZDAT_DONOR_KEYS key and
indexed, then the plaintext column is dropped. Self-service links (valid for
an hour, and holding a plain address) are deleted: supporters ask for new ones.
"""

import django.core.validators
from django.db import migrations, models

import samizdat.support.crypto


def encrypt_addresses(apps, schema_editor):
    from samizdat.support.crypto import blind_index

    Supporter = apps.get_model("support", "Supporter")
    for pk, email in Supporter.objects.values_list("pk", "email").iterator():
        email = (email or "").strip()
        Supporter.objects.filter(pk=pk).update(
            email_ciphertext=email, email_index=blind_index(email)
        )


def decrypt_addresses(apps, schema_editor):
    Supporter = apps.get_model("support", "Supporter")
    for supporter in Supporter.objects.only("pk", "email_ciphertext").iterator():
        Supporter.objects.filter(pk=supporter.pk).update(email=supporter.email_ciphertext or "")


def delete_links(apps, schema_editor):
    apps.get_model("support", "ManageLink").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('support', '0003_fundraising_permissions'),
    ]

    operations = [
        migrations.CreateModel(
            name='RetentionSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('pending_days', models.PositiveIntegerField(default=7, help_text='Contributions and plans still pending (never paid) are deleted this many days after they were started.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(365)], verbose_name='abandoned checkouts: delete after (days)')),
                ('one_off_months', models.PositiveIntegerField(default=13, help_text='Counted from their most recent gift. Amounts and dates stay in the ledger under an anonymous supporter number.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(120)], verbose_name='one-off donors: erase the e-mail after (months)')),
                ('canceled_months', models.PositiveIntegerField(default=13, help_text='Counted from the cancellation. A supporter with an active, past-due or paused plan is never erased.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(120)], verbose_name='canceled supporters: erase the e-mail after (months)')),
            ],
            options={
                'verbose_name': 'donor data retention',
            },
        ),
        # Self-service links: drop the plain address, keep the blind index.
        migrations.RunPython(delete_links, migrations.RunPython.noop),
        # (A default first, so that migrating back can re-create the column.)
        migrations.AlterField(
            model_name='managelink',
            name='email',
            field=models.EmailField(db_index=True, default='', max_length=254, verbose_name='e-mail'),
        ),
        migrations.RemoveField(
            model_name='managelink',
            name='email',
        ),
        migrations.AddField(
            model_name='managelink',
            name='email_index',
            field=models.CharField(db_index=True, default='', max_length=64, verbose_name='e-mail blind index'),
            preserve_default=False,
        ),
        # Supporters: encrypted column and blind index next to the plain one...
        migrations.AddField(
            model_name='supporter',
            name='email_ciphertext',
            field=samizdat.support.crypto.EncryptedEmailField(blank=True, default='', max_length=254, verbose_name='e-mail'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='supporter',
            name='email_index',
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64, verbose_name='e-mail blind index'),
        ),
        migrations.AddField(
            model_name='supporter',
            name='forgotten_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='contact data erased'),
        ),
        # ...filled from it, then the plain column is dropped...
        migrations.RunPython(encrypt_addresses, decrypt_addresses),
        migrations.AlterField(
            model_name='supporter',
            name='email',
            field=models.EmailField(db_index=True, default='', max_length=254, verbose_name='e-mail'),
        ),
        migrations.RemoveField(
            model_name='supporter',
            name='email',
        ),
        # ...and the encrypted field takes the name `email` (its column keeps its name).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name='supporter',
                    old_name='email_ciphertext',
                    new_name='email',
                ),
                migrations.AlterField(
                    model_name='supporter',
                    name='email',
                    field=samizdat.support.crypto.EncryptedEmailField(blank=True, db_column='email_ciphertext', max_length=254, verbose_name='e-mail'),
                ),
            ],
        ),
    ]
