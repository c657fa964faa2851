from django.db import models


class ProbeRun(models.Model):
    """One run of the worker probe task (tasks.probe).

    Rows are never unique on purpose: a task that ran twice shows up twice,
    which is what the scale-out smoke test looks for.
    """

    token = models.CharField(max_length=64, db_index=True)
    worker_pid = models.IntegerField()
    ran_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.token} by {self.worker_pid}"
