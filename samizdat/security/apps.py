from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "samizdat.security"
    label = "security"
    verbose_name = "Security and production"

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
