from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MirrorsConfig(AppConfig):
    name = "samizdat.mirrors"
    label = "mirrors"
    verbose_name = _("Mirrors")

    def ready(self):
        from . import signals  # noqa: F401
