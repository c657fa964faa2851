from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "samizdat.users"
    label = "users"
    verbose_name = "Staff accounts"
