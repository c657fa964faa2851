"""Build the bilingual demo newsroom (idempotent); --articles N adds N more.

Each installed app that has demo data loads its own: its AppConfig defines
`load_demo(articles)` and returns a line saying what is ready. Apps run in
INSTALLED_APPS order, so content exists before what is placed on it.
"""

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Load the demo site: sections, authors, images and articles in English and Russian."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=0,
                            help="generate this many extra articles (for benchmarks)")

    def handle(self, *args, articles=0, **options):
        if articles < 0:
            raise CommandError("--articles must be zero or more")
        for config in apps.get_app_configs():
            loader = getattr(config, "load_demo", None)
            if loader is not None:
                self.stdout.write(loader(articles=articles))
        call_command("update_index", verbosity=0)
