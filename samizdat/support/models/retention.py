"""How long donor contact data and abandoned checkouts are kept (support/retention.py)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

__all__ = ["RetentionSettings"]


def _limits(low, high):
    return [MinValueValidator(low), MaxValueValidator(high)]


@register_setting(icon="bin")
class RetentionSettings(BaseGenericSetting):
    """Edited by Fundraising staff and superusers; applied daily by `apply_retention`."""

    pending_days = models.PositiveIntegerField(
        _("abandoned checkouts: delete after (days)"),
        default=7,
        validators=_limits(1, 365),
        help_text=_(
            "Contributions and plans still pending (never paid) are deleted this many days "
            "after they were started."
        ),
    )
    one_off_months = models.PositiveIntegerField(
        _("one-off donors: erase the e-mail after (months)"),
        default=13,
        validators=_limits(1, 120),
        help_text=_(
            "Counted from their most recent gift. Amounts and dates stay in the ledger "
            "under an anonymous supporter number."
        ),
    )
    canceled_months = models.PositiveIntegerField(
        _("canceled supporters: erase the e-mail after (months)"),
        default=13,
        validators=_limits(1, 120),
        help_text=_(
            "Counted from the cancellation. A supporter with an active, past-due or paused "
            "plan is never erased."
        ),
    )

    panels = [FieldPanel("pending_days"), FieldPanel("one_off_months"),
              FieldPanel("canceled_months")]

    class Meta:
        verbose_name = _("donor data retention")
