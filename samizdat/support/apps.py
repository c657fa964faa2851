from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "samizdat.support"
    label = "support"

    def ready(self):
        from .staff import connect_post_migrate
        from .tasks import connect_signals

        connect_signals()
        connect_post_migrate(self)
