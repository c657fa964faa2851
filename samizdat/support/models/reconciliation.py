"""The last comparisons of the ledger with each provider's own records."""

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["ReconciliationRun"]


class ReconciliationRun(models.Model):
    """One run of `manage.py reconcile_provider` for one provider (support/reconcile.py).

    The report names references, provider ids and amounts only, never a supporter.
    """

    provider = models.CharField(_("provider"), max_length=40, db_index=True)
    ran_at = models.DateTimeField(_("ran"), auto_now_add=True, db_index=True)
    since = models.DateField(_("since"))
    checked = models.PositiveIntegerField(_("movements checked"), default=0)
    differences = models.PositiveIntegerField(_("differences"), default=0)
    error = models.CharField(_("error"), max_length=500, blank=True)
    report = models.TextField(_("report"), blank=True)

    class Meta:
        ordering = ["-ran_at", "-pk"]
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")

    def __str__(self):
        return f"{self.provider} {self.ran_at:%Y-%m-%d %H:%M} ({self.differences} differences)"

    @property
    def ok(self):
        return not self.differences and not self.error
