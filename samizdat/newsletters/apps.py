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

    def load_demo(self, articles=0):
        """Two demo newsletters, one per language (core's load_demo); made once."""
        from .models import Newsletter

        demos = [
            ("en", "The Northern Ledger Weekly",
             "The week's most important stories, in full, every Friday.", "weekly", False),
            ("ru", "Северный вестник: дайджест",
             "Главное за неделю целиком, по пятницам. Нейтральная тема письма.", "weekly", True),
        ]
        for language, name, description, cadence, discreet in demos:
            Newsletter.objects.get_or_create(name=name, defaults={
                "language": language, "description": description, "cadence": cadence,
                "discreet": discreet})
        return "Demo newsletters ready: " + ", ".join(d[1] for d in demos) + "."
