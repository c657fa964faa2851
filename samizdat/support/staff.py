"""The "Fundraising" staff group: who may see supporters' money and data.

Idempotent, like samizdat/news/roles.py: `setup_fundraising` (and the demo)
can run it on every deploy; it adds what is missing and removes nothing.
Donor data is never given to the general Editor or Reporter groups.
"""

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _

FUNDRAISING = "Fundraising"
# Shown where staff manage groups (samizdat/users/groups.py).
DESCRIPTION = _("Sees supporters, gifts, plans and the fundraising dashboard, exports them "
                "and confirms bank transfers; needs a second factor to sign in.")

PERMISSIONS = [
    "wagtailadmin.access_admin",
    "support.view_fundraising_dashboard",
    "support.view_contribution",
    "support.view_pledge",
    "support.view_ledgerentry",
    "support.view_supporter",
    "support.change_fundinggoal",
    "support.change_supporteremailsettings",
    "support.change_contributionsettings",
    "support.change_retentionsettings",
    "support.confirm_bank_transfer",
]


def _permissions(dotted_names):
    found = []
    for dotted in dotted_names:
        app_label, codename = dotted.split(".")
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is None:
            raise Permission.DoesNotExist(f"Missing permission {dotted}; run migrate first.")
        found.append(permission)
    return found


def ensure_fundraising_group():
    """Create the Fundraising group with its permissions; returns the group."""
    group, _created = Group.objects.get_or_create(name=FUNDRAISING)
    group.permissions.add(*_permissions(PERMISSIONS))
    return group


def _after_migrate(sender, using="default", plan=None, **kwargs):
    """After `migrate`, make sure the group exists (so no deploy step can be forgotten).

    Only a real migrate passes `plan`; a test database `flush` sends the
    same signal without it and is left alone. The support app's own
    permissions are created by Django's receiver, which may run after this
    one; creating them first is idempotent and makes the order irrelevant.
    """
    from django.contrib.auth.management import create_permissions

    if plan is None:
        return
    create_permissions(sender, verbosity=0, using=using)
    try:
        ensure_fundraising_group()
    except Permission.DoesNotExist:
        pass  # a partial database (e.g. migrating to an old state): setup_fundraising later


def connect_post_migrate(app_config):
    from django.db.models.signals import post_migrate

    post_migrate.connect(_after_migrate, sender=app_config, dispatch_uid="support.fundraising")
