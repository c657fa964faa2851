"""Create the demo's admin account once and print how to sign in."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create (once) and print the demo admin account."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/",
                            help="where the demo is served, for the printed admin link")

    def handle(self, *args, **options):
        path = settings.VAR_DIR / "demo-admin-password.txt"
        User = get_user_model()
        user = User.objects.filter(username="admin").first()
        if user is None or not path.exists():
            password = secrets.token_urlsafe(12)
            if user is None:
                user = User.objects.create_superuser("admin", "admin@localhost", password)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            path.write_text(password + "\n")
            path.chmod(0o600)
        password = path.read_text().strip()
        base = options["url"].rstrip("/")
        self.stdout.write(f"Admin: {base}/{settings.WAGTAIL_ADMIN_PATH}/ "
                          f"user 'admin', password '{password}'")
