from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewslettersConfig(AppConfig):
    name = "samizdat.newsletters"
    label = "newsletters"
    verbose_name = _("Newsletters")

    def ready(self):
        from samizdat.core.personal_data import register

        from .personal_data import NewsletterSubscriptions

        register(NewsletterSubscriptions())

        from samizdat.core.selfservice import register as register_section

        from .selfservice import NewsletterSection

        register_section(NewsletterSection())

        from anymail.signals import tracking

        from .bounces import on_tracking

        tracking.connect(on_tracking, dispatch_uid="newsletters.bounces")

        from wagtail.signals import page_published

        from .telegram import on_page_published

        page_published.connect(on_page_published, dispatch_uid="samizdat-newsletters-telegram")

    def load_demo(self, articles=0):
        """The demo newsletters (core's load_demo), made once: an English weekly, a
        Russian discreet digest, and an English daily digest at 07:00 (in TIME_ZONE)
        with three demo subscribers and two sent issues in its archive."""
        from .demo import load

        return load()
