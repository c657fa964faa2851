from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "samizdat.users"
    label = "users"
    verbose_name = "Staff accounts"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed

        from .grants import on_group_permissions_changed, on_user_groups_changed

        m2m_changed.connect(on_user_groups_changed, sender=get_user_model().groups.through,
                            dispatch_uid="users.donor_access_grants")
        m2m_changed.connect(on_group_permissions_changed, sender=Group.permissions.through,
                            dispatch_uid="users.group_permissions")
