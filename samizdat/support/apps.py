from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "samizdat.support"
    label = "support"

    def ready(self):
        from .tasks import connect_signals

        connect_signals()
