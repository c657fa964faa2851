from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app uses; depends on no other app of the project."""

    name = "samizdat.core"
    label = "core"
