from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "samizdat.support"
    label = "support"

    def ready(self):
        from . import checks  # noqa: F401 - registers the donor-key checks
        from .staff import connect_post_migrate
        from .tasks import connect_signals

        connect_signals()
        connect_post_migrate(self)
