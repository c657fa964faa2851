"""Create the demo appeals (idempotent); `load_demo` calls it too."""

from django.core.management.base import BaseCommand

from samizdat.appeals.demo import ensure_demo_appeals


class Command(BaseCommand):
    help = "Create and publish the demo banner, inline ask and letter (English and Russian)."

    def handle(self, *args, **options):
        appeals = ensure_demo_appeals()
        self.stdout.write(f"Demo appeals ready: {', '.join(sorted(appeals))}.")
