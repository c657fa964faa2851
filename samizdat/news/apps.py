from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "samizdat.news"
    label = "news"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .roles import ensure_newsroom_roles
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
        from .loader import connect

        connect()
        post_migrate.connect(ensure_newsroom_roles, dispatch_uid="samizdat-newsroom-roles")

    def load_demo(self, articles=0):
        """The demo newsroom, and `articles` generated stories (core's load_demo)."""
        from .demo import build_demo_site, extra_articles

        homes = build_demo_site()
        if articles:
            extra_articles(articles)
        return f"Demo site ready: {', '.join(sorted(homes))} home pages."
