"""Access to supporters' data is given by superusers only, audited, and used only after
the new holder signs in again with a second factor.

The Admin group may edit users: before, an Admin (whose password alone opened
the admin) could add itself to Fundraising, enrol an authenticator and export
the donor list. Now adding anyone to a group that opens donor data, or changing
any group's permissions, is refused for everyone but superusers, whatever the
view or form; a grant is written to the audit log (Wagtail's log entries), and
the user's sessions end, so the access starts at their next sign-in with a
second factor. Outside a web request (manage.py, run by the operator) the rules
do not apply.
"""

import contextvars

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

# The current web request (set by CurrentActorMiddleware); its user is read only when
# a grant is checked, so reader pages never load the session (no Vary: Cookie, which
# would split every cached page into variants).
current_request = contextvars.ContextVar("samizdat_current_request", default=None)


def current_actor():
    """The signed-in user making the current web request, or None (manage.py, anonymous)."""
    request = current_request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None

DONOR_APPS = ("support",)
GRANTED = "users.donor_access_granted"


def donor_groups(group_ids):
    """The groups among `group_ids` that open supporters' data."""
    named = set(settings.SAMIZDAT_2FA_REQUIRED_GROUPS)
    donor_perms = Permission.objects.filter(content_type__app_label__in=DONOR_APPS)
    return list(Group.objects.filter(pk__in=group_ids).filter(
        Q(name__in=named) | Q(permissions__in=donor_perms)).distinct())


def _refuse_unless_superuser(message):
    actor = current_actor()
    if actor is not None and not actor.is_superuser:
        raise PermissionDenied(message)
    return actor


def _end_sessions(user):
    """Every session of `user` ends: the next sign-in asks for the second factor."""
    from django.contrib.sessions.models import Session

    for session in Session.objects.all().iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()


def on_user_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """m2m_changed of User.groups, from either side."""
    from django.contrib.auth import get_user_model
    from wagtail.log_actions import log

    if action not in ("pre_add", "post_add") or not pk_set:
        return
    if reverse:  # group.user_set.add(users)
        groups = donor_groups([instance.pk])
        pairs = [(user, groups) for user in get_user_model().objects.filter(pk__in=pk_set)]
    else:
        pairs = [(instance, donor_groups(pk_set))]
    pairs = [(user, groups) for user, groups in pairs if groups]
    if not pairs:
        return
    if action == "pre_add":
        _refuse_unless_superuser(_("Only a superuser may give access to supporters' data."))
        return
    actor = current_actor()
    for user, groups in pairs:
        log(instance=user, action=GRANTED, user=actor,
            data={"groups": [group.name for group in groups], "user_id": user.pk})
        _end_sessions(user)


def on_group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    """m2m_changed of Group.permissions: only superusers change what a group may do."""
    if action in ("pre_add", "pre_remove", "pre_clear"):
        _refuse_unless_superuser(_("Only a superuser may change a group's permissions."))


class CurrentActorMiddleware:
    """Records who is making the request, for the rules above (after authentication)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
