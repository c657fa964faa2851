"""Create the Fundraising staff group (idempotent); --add-user puts a user in it."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from samizdat.support.staff import FUNDRAISING, ensure_fundraising_group


class Command(BaseCommand):
    help = "Create or complete the Fundraising group, which alone sees supporters' data."

    def add_arguments(self, parser):
        parser.add_argument("--add-user", metavar="USERNAME", action="append", default=[],
                            help="add this existing staff user to the group (repeatable)")

    def handle(self, *args, add_user=(), **options):
        User = get_user_model()
        users = []
        for username in add_user:
            user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
            if user is None:
                raise CommandError(f"No user {username!r}; nothing was changed.")
            users.append(user)
        group = ensure_fundraising_group()
        for user in users:
            user.groups.add(group)
        self.stdout.write(
            f"Group {FUNDRAISING!r} ready with {group.permissions.count()} permissions"
            + (f"; added {', '.join(add_user)}." if users else ".")
        )
