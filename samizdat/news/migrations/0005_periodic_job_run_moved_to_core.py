"""PeriodicJobRun now belongs to core (core 0001): news forgets it, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("news", "0004_worker_heartbeat"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PeriodicJobRun")],
            database_operations=[],
        ),
    ]
