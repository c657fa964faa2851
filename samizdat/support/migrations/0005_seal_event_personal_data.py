"""Seal (encrypt) the payer's e-mail, name, phone and address in stored provider events.

New events are sealed when recorded (support/webhooks.py); this does the same
for the events stored before.
"""

from django.db import migrations


def seal_events(apps, schema_editor):
    from samizdat.support.crypto import seal_personal_data

    ProviderEvent = apps.get_model("support", "ProviderEvent")
    for pk, payload in ProviderEvent.objects.values_list("pk", "payload").iterator():
        sealed = seal_personal_data(payload)
        if sealed != payload:
            ProviderEvent.objects.filter(pk=pk).update(payload=sealed)


class Migration(migrations.Migration):

    dependencies = [
        ('support', '0004_encrypt_donor_data_retention'),
    ]

    operations = [
        migrations.RunPython(seal_events, migrations.RunPython.noop),
    ]
