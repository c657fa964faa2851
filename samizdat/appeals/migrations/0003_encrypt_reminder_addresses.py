"""Reminder addresses encrypted at rest like supporters' (samizdat/support/crypto.py)."""

from django.db import migrations, models

import samizdat.support.crypto


def encrypt_addresses(apps, schema_editor):
    from samizdat.support.crypto import blind_index

    EmailReminder = apps.get_model("appeals", "EmailReminder")
    for pk, email in EmailReminder.objects.values_list("pk", "email").iterator():
        EmailReminder.objects.filter(pk=pk).update(
            email_ciphertext=email, email_index=blind_index(email)
        )


def decrypt_addresses(apps, schema_editor):
    EmailReminder = apps.get_model("appeals", "EmailReminder")
    for reminder in EmailReminder.objects.only("pk", "email_ciphertext").iterator():
        EmailReminder.objects.filter(pk=reminder.pk).update(email=reminder.email_ciphertext)


class Migration(migrations.Migration):

    dependencies = [
        ('appeals', '0002_emailreminder_appealsettings_email_reminders'),
        ('support', '0004_encrypt_donor_data_retention'),
    ]

    operations = [
        migrations.AddField(
            model_name='emailreminder',
            name='email_ciphertext',
            field=samizdat.support.crypto.EncryptedEmailField(default='', max_length=254, verbose_name='e-mail'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='emailreminder',
            name='email_index',
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=64),
        ),
        migrations.RunPython(encrypt_addresses, decrypt_addresses),
        # (A default first, so that migrating back can re-create the column.)
        migrations.AlterField(
            model_name='emailreminder',
            name='email',
            field=models.EmailField(default='', max_length=254, verbose_name='e-mail'),
        ),
        migrations.RemoveField(
            model_name='emailreminder',
            name='email',
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RenameField(
                    model_name='emailreminder',
                    old_name='email_ciphertext',
                    new_name='email',
                ),
                migrations.AlterField(
                    model_name='emailreminder',
                    name='email',
                    field=samizdat.support.crypto.EncryptedEmailField(db_column='email_ciphertext', max_length=254, verbose_name='e-mail'),
                ),
            ],
        ),
    ]
