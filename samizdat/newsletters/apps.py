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
