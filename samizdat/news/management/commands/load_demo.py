"""Build the bilingual demo newsroom (idempotent); --articles N adds N more."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from samizdat.appeals.demo import ensure_demo_appeals
from samizdat.news.demo import build_demo_site, extra_articles


class Command(BaseCommand):
    help = "Load the demo site: sections, authors, images and articles in English and Russian."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=0,
                            help="generate this many extra articles (for benchmarks)")

    def handle(self, *args, articles=0, **options):
        if articles < 0:
            raise CommandError("--articles must be zero or more")
        homes = build_demo_site()
        ensure_demo_appeals()
        if articles:
            extra_articles(articles)
        call_command("update_index", verbosity=0)
        self.stdout.write(f"Demo site ready: {', '.join(sorted(homes))} home pages.")
