from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "samizdat.support"
    label = "support"

    def ready(self):
        from . import checks  # noqa: F401 - registers the donor-key checks
        from .providers.base import connect_local_receiver
        from .staff import connect_post_migrate
        from .tasks import connect_signals
        from .webhooks import receive

        connect_local_receiver(receive)
        connect_signals()
        connect_post_migrate(self)
        connect_provider_budget()

    def load_demo(self, articles=0):
        """The demo goal counts gifts in every offered currency (illustrative rates)."""
        from .goal import ensure_demo_rates

        added = ensure_demo_rates()
        return (f"Funding goal: demo exchange rates for {', '.join(added)}" if added
                else "Funding goal: exchange rates already set")


def connect_provider_budget():
    """Provider calls of one web request share one deadline (providers/deadline_http.py)."""
    from django.core.signals import request_finished, request_started

    from .providers.deadline_http import end_request_budget, start_request_budget

    request_started.connect(start_request_budget, dispatch_uid="support.provider_budget")
    request_finished.connect(end_request_budget, dispatch_uid="support.provider_budget")
