from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodicJobRun(models.Model):
    """When each periodic job last started, shared by every process that runs jobs.

    cron starts `run_periodic --once` every minute and more than one host may run
    the loop: a job runs only when this row says it is due (core/periodic.py).
    """

    name = models.CharField(max_length=100, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)

    class Meta:
        # Created by news before this model moved here; the rows stay where they are.
        db_table = "news_periodicjobrun"
        verbose_name = _("periodic job run")

    def __str__(self):
        return self.name
