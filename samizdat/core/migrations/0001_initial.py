"""PeriodicJobRun moves here from news: the table news created stays, rows and all.

Only Django's record of which app owns the model changes; the database is
untouched (news 0005 drops the model from news's state the same way).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [("news", "0004_worker_heartbeat")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="PeriodicJobRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True,
                                                   serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, unique=True)),
                        ("last_started_at", models.DateTimeField(blank=True, null=True)),
                        ("runs", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "verbose_name": "periodic job run",
                        "db_table": "news_periodicjobrun",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
