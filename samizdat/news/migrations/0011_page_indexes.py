"""Indexes on Wagtail's page table for the reader pages' bounded queries.

- (first_published_at, id): the newest articles of a home, a section or a language
  ("order by first_published_at desc, id desc limit n", front.py and querysets.py)
  are read from the index newest first and stop after n rows, instead of sorting
  every live article of the archive.
- url_path: a request finds its page by url_path (routing.py); without an index
  that read every page row.

Wagtail's own migrations define neither, so they live here (RunSQL: the table is
not this app's).
"""

from django.db import migrations

INDEXES = [
    ("samizdat_page_published", "first_published_at, id"),
    ("samizdat_page_url_path", "url_path"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0010_body_image_alt"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON wagtailcore_page ({columns})",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, columns in INDEXES
    ]
