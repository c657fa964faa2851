"""Receipts are tracked per ledger payment (claimed, then sent), so a receipt goes out once
even when a worker dies mid-queue. Payments recorded before this had their receipts queued
by the old code: they are marked as sent, so that `send_pending_receipts` leaves them alone.
"""

import django.db.models.deletion
from django.db import migrations, models


def mark_earlier_payments_sent(apps, schema_editor):
    LedgerEntry = apps.get_model("support", "LedgerEntry")
    ReceiptDelivery = apps.get_model("support", "ReceiptDelivery")
    batch = []
    for pk, recorded_at in LedgerEntry.objects.filter(kind="payment").values_list(
            "pk", "recorded_at").iterator():
        batch.append(ReceiptDelivery(entry_id=pk, sent_at=recorded_at))
        if len(batch) >= 1000:
            ReceiptDelivery.objects.bulk_create(batch)
            batch = []
    ReceiptDelivery.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('support', '0005_seal_event_personal_data'),
    ]

    operations = [
        migrations.CreateModel(
            name='ReceiptDelivery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='claimed')),
                ('sent_at', models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='sent')),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='attempts')),
                ('entry', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='receipt_delivery', to='support.ledgerentry', verbose_name='ledger payment')),
            ],
            options={
                'verbose_name': 'receipt delivery',
                'verbose_name_plural': 'receipt deliveries',
            },
        ),
        migrations.RunPython(mark_earlier_payments_sent, migrations.RunPython.noop),
    ]
