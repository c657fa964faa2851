from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "samizdat.security"
    label = "security"
    verbose_name = "Security and production"

    def ready(self):
        from django.db.models.signals import pre_save
        from django_tasks_db.models import DBTaskResult

        from samizdat.redact import redact_task_traceback

        from . import checks  # noqa: F401 - registers the system checks

        pre_save.connect(redact_task_traceback, sender=DBTaskResult,
                         dispatch_uid="security.redact_task_traceback")
