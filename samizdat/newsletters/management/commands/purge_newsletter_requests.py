"""Erase newsletter sign-ups nobody confirmed within a week (a periodic job)."""

from django.core.management.base import BaseCommand

from samizdat.newsletters.subscribing import purge_unconfirmed


class Command(BaseCommand):
    help = "Delete unconfirmed newsletter subscriptions older than seven days."

    def handle(self, *args, **options):
        removed = purge_unconfirmed()
        self.stdout.write(f"{removed} unconfirmed subscription(s) erased")
