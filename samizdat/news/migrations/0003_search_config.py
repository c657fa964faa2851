"""PostgreSQL: a text-search configuration that stems both site languages.

English's configuration leaves Cyrillic words unstemmed, so "забастовки" missed an
article about a "забастовка". PostgreSQL's parser tells all-ASCII words (asciiword)
from words with other letters (word, hword, hword_part); "samizdat" copies English
and sends the latter to the Russian stemmer. Settings point Wagtail's search at it.
Pages indexed before this migration keep their old vectors until `manage.py
update_index` (docs/deploy.md, Upgrades).
"""

from django.db import migrations

CREATE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'samizdat') THEN
        CREATE TEXT SEARCH CONFIGURATION samizdat (COPY = pg_catalog.english);
        ALTER TEXT SEARCH CONFIGURATION samizdat
            ALTER MAPPING FOR word, hword, hword_part WITH russian_stem;
    END IF;
END
$$;
"""
DROP = "DROP TEXT SEARCH CONFIGURATION IF EXISTS samizdat;"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("news", "0002_periodic_job_run")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
