from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "samizdat.news"
    label = "news"

    def ready(self):
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
