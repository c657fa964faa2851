"""Wagtail's users app with Samizdat's group screens (samizdat/users/groups.py).

The documented way to change Wagtail's group views: a subclass of its AppConfig
naming another viewset, listed in INSTALLED_APPS in place of "wagtail.users".
It imports no model, so the app registry can load it.
"""

from wagtail.users.apps import WagtailUsersAppConfig


class WagtailUsersConfig(WagtailUsersAppConfig):
    group_viewset = "samizdat.users.groups.GroupViewSet"
