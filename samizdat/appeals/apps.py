from django.apps import AppConfig


class AppealsConfig(AppConfig):
    name = "samizdat.appeals"
    label = "appeals"

    def ready(self):
        from samizdat.core.personal_data import register
        from samizdat.support.api import funding_changed

        from .funding import forget_funding_figures
        from .personal_data import EmailReminders

        register(EmailReminders())
        funding_changed.connect(forget_funding_figures, dispatch_uid="appeals.funding")

    def load_demo(self, articles=0):
        """The demo banner, inline ask and letter (core's load_demo)."""
        from .demo import ensure_demo_appeals

        return f"Demo appeals ready: {', '.join(sorted(ensure_demo_appeals()))}."
